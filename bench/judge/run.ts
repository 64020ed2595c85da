// Judge benchmark: false-rollback rate over null deploys and detection rate
// and time per injected regression, for phased's judge and its peers, all on
// the same simulated traces. Deterministic for a given seed.
//
//   npx tsx bench/judge/run.ts --seed 1 --null 10000 --per-regression 1000
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import { ALL_JUDGES, ALPHA, PHASED_METRICS, type LookVerdict } from './judges.js';
import {
  createRng,
  DEFAULT_FLEET,
  looksOf,
  NO_REGRESSION,
  simulateDeploy,
  type Regression,
} from './simulate.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    null: { type: 'string', default: '10000' },
    'per-regression': { type: 'string', default: '1000' },
    'baseline-sec': { type: 'string', default: String(DEFAULT_FLEET.baselineSec) },
    out: { type: 'string', default: path.join(projectRoot, 'bench/results') },
  },
});
const seed = Number(values.seed);
const nullDeploys = Number(values.null);
const perRegression = Number(values['per-regression']);
const baselineSec = Number(values['baseline-sec']);
const command =
  `npx tsx bench/judge/run.ts --seed ${seed} --null ${nullDeploys} --per-regression ${perRegression}` +
  (baselineSec === DEFAULT_FLEET.baselineSec ? '' : ` --baseline-sec ${baselineSec}`);

const scenarios: { key: string; regression: Regression; deploys: number }[] = [
  { key: 'null', regression: NO_REGRESSION, deploys: nullDeploys },
  { key: 'errors_x1.2', regression: { errors: 1.2, latency: 1 }, deploys: perRegression },
  { key: 'errors_x1.5', regression: { errors: 1.5, latency: 1 }, deploys: perRegression },
  { key: 'errors_x2', regression: { errors: 2, latency: 1 }, deploys: perRegression },
  { key: 'errors_x5', regression: { errors: 5, latency: 1 }, deploys: perRegression },
  { key: 'latency_+10%', regression: { errors: 1, latency: 1.1 }, deploys: perRegression },
  { key: 'latency_+50%', regression: { errors: 1, latency: 1.5 }, deploys: perRegression },
];

interface Tally {
  rollbacks: number;
  paused: number;
  times: number[];
  canaryCatches: number;
}

const emptyTally = (): Tally => ({ rollbacks: 0, paused: 0, times: [], canaryCatches: 0 });

const params = { ...DEFAULT_FLEET, baselineSec };
const tallies = new Map<string, Map<string, Tally>>();
const started = performance.now();
let judgeSeconds = 0;
let phasedLooks = 0;

scenarios.forEach((scenario, index) => {
  const rng = createRng(seed * 1000 + index);
  const byJudge = new Map<string, Tally>(ALL_JUDGES.map((j) => [j.name, emptyTally()]));
  tallies.set(scenario.key, byJudge);
  for (let d = 0; d < scenario.deploys; d++) {
    const trace = simulateDeploy(params, scenario.regression, rng);
    const looks = looksOf(params, trace);
    for (const j of ALL_JUDGES) {
      const t0 = performance.now();
      const judgeLook = j.forDeploy(params, trace, looks);
      let outcome: LookVerdict = 'pass';
      let at = 0;
      for (const look of looks) {
        outcome = judgeLook(look);
        if (j.name === 'phased') phasedLooks++;
        if (outcome !== 'pass') {
          at = look.atSec;
          break;
        }
      }
      if (j.name === 'phased') judgeSeconds += (performance.now() - t0) / 1000;
      const tally = byJudge.get(j.name)!;
      if (outcome === 'regression') {
        tally.rollbacks++;
        tally.times.push(at);
        if (at === params.soakSec) tally.canaryCatches++;
      } else if (outcome === 'inconclusive') tally.paused++;
    }
    if ((d + 1) % 1000 === 0)
      process.stderr.write(`${scenario.key}: ${d + 1}/${scenario.deploys}\n`);
  }
});

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const judges: Record<string, unknown> = {};
for (const j of ALL_JUDGES) {
  const nullTally = tallies.get('null')!.get(j.name)!;
  const detection: Record<string, unknown> = {};
  for (const s of scenarios.slice(1)) {
    const t = tallies.get(s.key)!.get(j.name)!;
    detection[s.key] = {
      rate: t.rollbacks / s.deploys,
      medianSeconds: median(t.times),
      deploys: s.deploys,
      inCanaryRate: t.canaryCatches / s.deploys,
      pausedRate: t.paused / s.deploys,
    };
  }
  judges[j.name] = {
    description: j.description,
    falseRollbackRate: nullTally.rollbacks / nullDeploys,
    falsePauseRate: nullTally.paused / nullDeploys,
    nullDeploys,
    detection,
  };
}

const date = new Date().toISOString().slice(0, 10);
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const result = {
  command,
  seed,
  date,
  machine,
  alpha: ALPHA,
  fleet: params,
  metrics: PHASED_METRICS,
  phasedJudgeMsPerLook: (judgeSeconds * 1000) / phasedLooks,
  wallSeconds: (performance.now() - started) / 1000,
  judges,
};
writeFileSync(path.join(values.out, 'judge.json'), JSON.stringify(result, null, 2) + '\n');

// Markdown table.
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;
const lines = [
  '# Judge benchmark',
  '',
  `Command: \`${command}\`  `,
  `Seed: ${seed}. Date: ${date}. Machine: ${machine}. Wall time: ${result.wallSeconds.toFixed(0)} s.`,
  '',
  `Fleet: ${params.hosts} hosts, ${params.meanRps} req/s mean per host (host factor lognormal sigma ${params.hostRateSigma}), ` +
    `error rate ${params.baseErrorRate * 100}% (host factor lognormal sigma ${params.hostErrorSigma}), error counts ` +
    `negative binomial with variance ${params.errorDispersion}x the mean, latency ${params.latencyMs} ms (host sigma ${params.hostLatencySigma}, ` +
    `reading noise ${params.latencyNoise * 100}%, per-host drift sd ${params.hostLatencyDrift * 100}%), fleet-wide drift over the deploy up to ` +
    `±${params.drift.traffic * 100}% traffic, ±${params.drift.errors * 100}% error rate, ±${params.drift.latency * 100}% latency. ` +
    `Baseline ${params.baselineSec} s, ${params.canaryFraction * 100}% canary, ${params.soakSec} s soak, ${params.watchSec} s watch ` +
    `looking every ${params.lookEverySec} s (${params.canaryFraction * 100}% of hosts held back as watch controls). Samples every ${params.intervalSec} s.`,
  '',
  'Rates are per deploy. Detection: share of deploys rolled back; median time from the canary switch (60 s = caught by the canary).',
  '',
  `| judge | false rollbacks (${nullDeploys} null) | ${scenarios
    .slice(1)
    .map((s) => s.key)
    .join(' | ')} |`,
  `| --- | --- | ${scenarios
    .slice(1)
    .map(() => '---')
    .join(' | ')} |`,
  ...ALL_JUDGES.map((j) => {
    const r = judges[j.name] as {
      falseRollbackRate: number;
      detection: Record<string, { rate: number; medianSeconds: number | null }>;
    };
    const cells = scenarios
      .slice(1)
      .map((s) => {
        const d = r.detection[s.key]!;
        return `${pct(d.rate)} (${d.medianSeconds === null ? '-' : `${d.medianSeconds} s`})`;
      })
      .join(' | ');
    return `| ${j.name} | ${pct(r.falseRollbackRate)} | ${cells} |`;
  }),
  '',
  'Caught within the 60 s canary (before any host beyond the canaries switched):',
  '',
  `| judge | ${scenarios
    .slice(1)
    .map((s) => s.key)
    .join(' | ')} |`,
  `| --- | ${scenarios
    .slice(1)
    .map(() => '---')
    .join(' | ')} |`,
  ...ALL_JUDGES.map((j) => {
    const r = judges[j.name] as { detection: Record<string, { inCanaryRate: number }> };
    return `| ${j.name} | ${scenarios
      .slice(1)
      .map((s) => pct(r.detection[s.key]!.inCanaryRate))
      .join(' | ')} |`;
  }),
  '',
  `phased also paused (inconclusive) ${pct((judges.phased as { falsePauseRate: number }).falsePauseRate)} of null deploys. ` +
    `phased's judge took ${result.phasedJudgeMsPerLook.toFixed(2)} ms per look (100 hosts, 2 metrics).`,
  '',
  ...ALL_JUDGES.map((j) => `- **${j.name}**: ${j.description}`),
  '',
];
writeFileSync(path.join(values.out, 'judge.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
