// The canary report as one self-contained HTML page: uPlot and its styles
// inlined, the data in a JSON block, tables rendered here. Opens offline,
// from a file, a CI artifact or a mail attachment. Pure: record and assets
// in, text out.
import { lookLabel } from '../cli/format.js';
import { formatLevel, formatP, formatRatio } from '../../judge/format.js';
import type { MetricVerdict } from '../../judge/types.js';
import { OUTCOME_WORDS } from '../../core/vocabulary.js';
import { chartMarks, groupsOf, metricCharts, type MetricChart } from './charts.js';
import { PAGE_SCRIPT } from './page-script.js';
import {
  actionsOf,
  timingsOf,
  type DeployRecord,
  type ReportFlip,
  type ReportLook,
} from './record.js';

export interface ChartAssets {
  /** uPlot's browser build (IIFE, defines the global uPlot). */
  script: string;
  css: string;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const utc = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const num = (v: number | null, scale = 1) => (v === null ? '–' : formatLevel(v * scale));

/** Each look as the CLI and the UI name it: "canary look 1 (early stop at soak reading 2)", "watch look 3". */
export function lookLabels(looks: readonly ReportLook[]): string[] {
  // Gates (canary, then waves) share one count, the watch its own, as the workflow numbers them.
  let gates = 0;
  let watches = 0;
  return looks.map(({ request: { phase, reading } }) => {
    const look = phase === 'watch' ? ++watches : reading === undefined ? ++gates : gates + 1;
    return lookLabel({ phase, look, reading });
  });
}

/** Keeps a JSON block inside a script element whatever the strings in it hold. */
const scriptJson = (x: unknown) => JSON.stringify(x).replace(/</g, '\\u003c');

export function reportHtml(r: DeployRecord, assets: ChartAssets, generatedAt: number): string {
  const labels = lookLabels(r.looks);
  const charts = metricCharts(r);
  const data = { charts, marks: chartMarks(r, labels) };
  const title = `${r.input.cluster} ← ${r.input.revision}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>phased report: ${esc(title)}</title>
<style>${assets.css}</style>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)} ${outcomeBadge(r)}</h1>
<p class="summary">${esc(r.outcome?.summary ?? r.closedWithout ?? 'running: this report shows the deploy so far')}</p>
${facts(r)}
</header>
<section id="charts"><h2>Canary against control</h2>
<p class="note">Each point is a group's value at a reading (a level) or over the interval ending there (a rate or quantile); dashed lines are each group's value over the baseline. Solid marks are switches, dashed ones looks (green pass, red regression, amber inconclusive).</p>
${charts.length === 0 ? '<p>No metrics were judged.</p>' : charts.map((c, i) => `<figure class="chart" id="chart-${i}" data-metric="${esc(c.metric)}" data-points="${c.t.length}"><figcaption>${esc(c.metric)} <span class="unit">(${esc(c.unit)})</span></figcaption></figure>`).join('\n')}
</section>
${verdictSection(r, labels, charts)}
${hostSection(r)}
${timingSection(r)}
${actionSection(r)}
<footer>Rebuilt from the Temporal workflow history of <code>${esc(r.workflowId)}</code> by <code>phased report ${esc(r.workflowId)}</code> at ${utc(generatedAt)}.</footer>
<script type="application/json" id="phased-data">${scriptJson(data)}</script>
<script>${assets.script}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function outcomeBadge(r: DeployRecord): string {
  const o = r.outcome?.outcome;
  const word = o ? OUTCOME_WORDS[o] : r.closedAt === null ? 'running' : 'ended without an outcome';
  return `<span class="badge ${o ?? 'running'}">${esc(word)}</span>`;
}

function facts(r: DeployRecord): string {
  const rows: [string, string][] = [
    ['workflow', `<code>${esc(r.workflowId)}</code>`],
    ['operator', esc(r.input.operator)],
    ...(r.input.reason ? [['reason', esc(r.input.reason)] as [string, string]] : []),
    ['started', utc(r.startedAt)],
    [
      'ended',
      r.closedAt === null
        ? 'still running'
        : `${utc(r.closedAt)} (${seconds(r.closedAt - r.startedAt)})`,
    ],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function verdictSection(r: DeployRecord, labels: string[], charts: MetricChart[]): string {
  const scales = new Map(charts.map((c) => [c.metric, c]));
  if (r.looks.length === 0)
    return '<section id="verdicts"><h2>Verdicts</h2><p>No look was judged.</p></section>';
  const head =
    '<tr><th>metric</th><th>verdict</th><th>canary before → after</th><th>control before → after</th><th>ratio</th><th>tolerated</th><th>p-value</th><th>threshold</th><th>hosts</th><th>test</th></tr>';
  const rows = r.looks.map((l, i) => {
    const v = l.verdict;
    const lookRow = `<tr class="look ${v?.verdict ?? ''}"><th colspan="10">${esc(labels[i]!)} at ${utc(l.at)}: <span class="verdict ${v?.verdict ?? ''}">${esc(v?.verdict ?? 'no verdict')}</span>: ${esc(v?.reason ?? '')}${v ? ` <span class="alpha">(α ${formatP(v.alpha)}, ${l.request.canary.length} vs ${l.request.control.length} hosts)</span>` : ''}</th></tr>`;
    return lookRow + (v?.metrics ?? []).map((m) => metricRow(m, scales.get(m.metric))).join('');
  });
  return `<section id="verdicts"><h2>Verdicts</h2><table class="verdicts">${head}${rows.join('\n')}</table></section>`;
}

/** A metric's numbers in a look, in the unit its chart uses (a per-request rate as %). */
function metricRow(m: MetricVerdict, chart: Pick<MetricChart, 'scale'> | undefined): string {
  const e = m.evidence;
  const k = chart?.scale ?? 1;
  const unit = k === 100 ? '%' : '';
  const pair = (a: number | null, b: number | null) =>
    `${num(a, k)}${a === null ? '' : unit} → ${num(b, k)}${b === null ? '' : unit}`;
  return `<tr class="metric ${m.verdict}" title="${esc(m.reason)}"><td>${esc(m.metric)}${m.critical ? ' <small>critical</small>' : ''}</td><td class="verdict ${m.verdict}">${m.verdict}</td><td>${pair(e.canaryBefore, e.canaryAfter)}</td><td>${pair(e.controlBefore, e.controlAfter)}</td><td>${e.ratio === null ? '–' : formatRatio(e.ratio)}</td><td>${formatRatio(e.toleratedRatio)}</td><td>${e.pValue === null ? '–' : formatP(e.pValue)}</td><td>${formatP(e.threshold)}</td><td>${e.canaryHosts} / ${e.controlHosts}</td><td>${e.test}</td></tr>`;
}

function hostSection(r: DeployRecord): string {
  const g = groupsOf(r);
  const list = (hs: readonly string[]) => (hs.length === 0 ? '–' : hs.map(esc).join(', '));
  const o = r.outcome;
  const ends: [string, readonly string[]][] = o
    ? [
        ['rolled back', o.rolledBack ?? []],
        ['left on the old release (unavailable)', o.unavailable ?? []],
        ['broken', o.broken ?? []],
      ]
    : [];
  const switches = r.flips
    .map(
      (f) =>
        `<tr><td>${utc(f.at)}</td><td>${esc(f.label)}</td><td>${f.direction === 'forward' ? 'to ' + esc(r.input.revision) : 'back'}</td><td>${list(f.hosts)}</td><td>${checksCell(f)}</td></tr>`,
    )
    .join('');
  return `<section id="hosts"><h2>Hosts</h2>
<dl class="facts"><dt>canary (${g.canary.length})</dt><dd>${list(g.canary)}</dd><dt>control (${g.control.length})</dt><dd>${list(g.control)}</dd>${ends
    .filter(([, hs]) => hs.length > 0)
    .map(([k, hs]) => `<dt>${k} (${hs.length})</dt><dd>${list(hs)}</dd>`)
    .join('')}</dl>
<table><tr><th>switched at</th><th>step</th><th>direction</th><th>hosts</th><th>hooks and health</th></tr>${switches || '<tr><td colspan="5">no host was switched</td></tr>'}</table></section>`;
}

/** Per host, what ran after a switch: "web-3: afterSwitch exit 0 (0.2 s), healthy after 2 checks (1.4 s)", or why it failed. */
function checksCell(f: ReportFlip): string {
  if (f.checks.length === 0) return '–';
  return f.checks
    .map((c) => {
      if (c.failed) return `<div class="failed">${esc(c.failed)}</div>`;
      const parts = [
        ...(c.hooks ?? []).map((h) => `${h.hook} exit ${h.code} (${seconds(h.ms)})`),
        ...(c.health
          ? [
              `healthy after ${c.health.attempts} check(s) (${seconds(c.health.ms)}, ${c.health.last})`,
            ]
          : []),
      ];
      return `<div>${esc(c.host)}: ${esc(parts.join(', '))}</div>`;
    })
    .join('');
}

function timingSection(r: DeployRecord): string {
  const timings = timingsOf(r);
  const phases = Object.entries(timings)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .sort(([, a], [, b]) => a - b);
  if (phases.length === 0) return '';
  const rows = phases.map(([phase, at], i) => {
    const next = phases[i + 1]?.[1] ?? r.closedAt;
    return `<tr><td>${esc(phase)}</td><td>${utc(at)}</td><td>${next === null || next === undefined ? '–' : seconds(next - at)}</td></tr>`;
  });
  return `<section id="timings"><h2>Phases</h2><table><tr><th>phase</th><th>started</th><th>lasted</th></tr>${rows.join('')}</table></section>`;
}

function actionSection(r: DeployRecord): string {
  const actions = actionsOf(r);
  const rows = actions.map(
    (a) =>
      `<tr><td>${utc(a.at)}</td><td>${esc(a.command)}</td><td>${esc(a.operator)}</td><td>${esc(a.phase)}</td><td>${esc(a.reason)}</td></tr>`,
  );
  return `<section id="actions"><h2>Operator actions</h2>${rows.length === 0 ? '<p>None.</p>' : `<table><tr><th>at</th><th>command</th><th>operator</th><th>phase</th><th>reason</th></tr>${rows.join('')}</table>`}</section>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #212529; margin: 24px auto; max-width: 1160px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dee2e6; padding-bottom: 4px; }
.summary { font-size: 15px; margin: 4px 0 12px; }
.badge { font-size: 13px; padding: 2px 8px; border-radius: 10px; vertical-align: middle; color: #fff; background: #868e96; }
.badge.done { background: #2f9e44; } .badge.rolled_back, .badge.failed { background: #e03131; } .badge.aborted { background: #f08c00; } .badge.running { background: #1971c2; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; } .facts dt { color: #495057; }
.note, .unit, .alpha, footer { color: #6c757d; } footer { margin-top: 32px; font-size: 12px; }
.chart { margin: 12px 0 20px; } .chart figcaption { font-weight: 600; margin-bottom: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e9ecef; vertical-align: top; }
tr.look th { background: #f8f9fa; font-weight: 500; padding-top: 8px; }
.failed { color: #e03131; }
.verdict.pass { color: #2f9e44; } .verdict.regression { color: #e03131; font-weight: 600; } .verdict.inconclusive { color: #e67700; }
code { font-size: 12px; }
`;
