// How the CLI shows deploys to people, and the exit codes CI gates on.
import { lookLabel } from '../../../workflows/deploy-status.js';
import type { HistoryRow } from '../client.js';
import type { DeployOutcome, DeployStatus } from '../../../workflows/model.js';
import {
  isFinal,
  OUTCOME_WORDS,
  reportCommand,
  type Outcome,
  type Phase,
} from '../../core/vocabulary.js';
import { colors, paint } from './style.js';
import type { RollbackOutcome } from '../../../workflows/rollback.js';

/** Exit codes: distinct per outcome so CI can tell them apart. 2 = bad input or refused command. */
export const EXIT_CODES: Record<Outcome, number> = {
  done: 0,
  rolled_back: 3,
  aborted: 4,
  failed: 5,
  superseded: 6,
};
export const EXIT_ERROR = 2;
/** deploy --wait --timeout ran out: the deploy goes on. */
export const EXIT_TIMEOUT = 7;
/** Ctrl-C (SIGINT) or SIGTERM while following: the deploy goes on. */
export const EXIT_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;

/** What an operator can do about a deploy the CLI stops following. */
export function stillRunning(workflowId: string, cluster: string, why: string): string {
  return [
    `phased: ${why}; stopped following ${workflowId}, the deploy goes on`,
    `  follow it: phased status ${cluster} --watch`,
    `  pause it:  phased pause ${cluster} --reason "..."`,
    `  abort it:  phased abort ${cluster} --reason "..." (rolls back what was switched)`,
  ].join('\n');
}

export { lookLabel };

export function statusLine(s: DeployStatus): string {
  const counts = Object.entries(s.hostCounts)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const since =
    s.pausedSince !== undefined
      ? ` for ${Math.max(0, Math.round((Date.now() - s.pausedSince) / 60_000))}m`
      : '';
  // A deploy waiting for a person is what an operator must not miss: red on a terminal.
  const paused = s.paused ? colors().red(` PAUSED${since} (${s.pausedReason})`) : '';
  return `${s.cluster} <- ${s.revision}: ${s.phase}${paused} [${counts}]`;
}

export function statusBlock(workflowId: string, s: DeployStatus): string {
  const lines = [`${workflowId}`, `  ${statusLine(s)}`];
  if (s.config)
    lines.push(
      `  configuration: ${s.config.file ?? s.cluster} sha256:${s.config.digest.slice(0, 12)} (the worker's file)`,
    );
  if (s.canaries.length) lines.push(`  canaries: ${s.canaries.join(', ')}`);
  for (const [state, hosts] of Object.entries(s.hostsByState))
    lines.push(
      `  ${state}: ${hosts.length > 12 ? `${hosts.slice(0, 12).join(', ')} (+${hosts.length - 12})` : hosts.join(', ')}`,
    );
  if (s.lastVerdict) {
    lines.push(
      `  last verdict (${lookLabel(s.lastVerdict)}): ${s.lastVerdict.verdict}: ${s.lastVerdict.reason}`,
    );
    for (const m of s.lastVerdict.metrics) lines.push(`    ${m}`);
  }
  for (const a of s.actions)
    lines.push(
      `  ${a.command} by ${a.operator} during ${a.phase}: ${a.reason}${a.effect ? ` (${a.effect})` : ''}`,
    );
  return lines.join('\n');
}

export function outcomeBlock(o: DeployOutcome): string {
  const lines = [`${o.cluster} <- ${o.revision}: ${paint(o.outcome, o.outcome)}: ${o.summary}`];
  for (const v of o.verdicts) {
    lines.push(`  ${lookLabel(v)}: ${paint(v.verdict, v.verdict)}: ${v.reason}`);
    for (const m of v.metrics) lines.push(`    ${m}`);
  }
  const t = o.timings;
  const phases = Object.entries(t).sort(([, a], [, b]) => (a ?? 0) - (b ?? 0));
  const spans = phases
    .slice(0, -1)
    .map(([p, at], i) => `${p} ${(((phases[i + 1]![1] ?? 0) - (at ?? 0)) / 1000).toFixed(1)}s`);
  if (spans.length) lines.push(`  timings: ${spans.join(', ')}`);
  return lines.join('\n');
}

export function rollbackBlock(o: RollbackOutcome): string {
  return `${o.cluster} rollback: ${o.outcome}: ${o.summary}`;
}

/** "2026-11-28 16:41:01 UTC": times in tables carry their zone (phased prints UTC). */
export const utcTime = (iso: string) => `${iso.replace('T', ' ').slice(0, 19)} UTC`;

/** Deploys and rollbacks as a table with a header; outcomes coloured on a terminal. */
export function historyTable(rows: HistoryRow[]): string {
  if (rows.length === 0) return 'no deploys recorded for this cluster';
  const header = ['STARTED', 'TYPE', 'REVISION', 'OUTCOME', 'OPERATOR', 'WORKFLOW'];
  const cells = rows.map((r) => [
    utcTime(r.startTime),
    r.type,
    r.revision ?? '-',
    r.outcome ?? r.phase ?? r.status,
    r.operator ?? '-',
    r.workflowId,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[], style: (text: string, i: number) => string) =>
    c
      .map((text, i) => style(i === c.length - 1 ? text : text.padEnd(widths[i]!), i))
      .join('  ')
      .trimEnd();
  const outcomeCell = (text: string, i: number, r: HistoryRow) =>
    i === 3 && r.outcome && isFinal(r.outcome as Phase)
      ? text.replace(r.outcome, paint(r.outcome, r.outcome as Outcome))
      : text;
  return [
    line(header, (t) => colors().bold(t)),
    ...cells.map((c, k) => line(c, (t, i) => outcomeCell(t, i, rows[k]!))),
  ].join('\n');
}

/** A deploy's outcome as a GitHub Actions job summary (Markdown): what happened, then every look. */
export function outcomeMarkdown(workflowId: string, o: DeployOutcome): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `### phased: ${o.cluster} <- \`${o.revision}\`: ${OUTCOME_WORDS[o.outcome]}`,
    '',
    cell(o.summary),
    '',
    `Workflow \`${workflowId}\`; exit code ${EXIT_CODES[o.outcome]}. Canary report: \`${reportCommand(workflowId)}\`.`,
  ];
  if (o.verdicts.length > 0) {
    lines.push('', '| look | verdict | metrics |', '| --- | --- | --- |');
    for (const v of o.verdicts)
      lines.push(
        `| ${cell(lookLabel(v))} | ${v.waiting ? 'waiting for exposure' : v.verdict} | ${v.metrics.map(cell).join('<br>')} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What deploy --wait adds to the job summary when the deploy pauses: the job
 * is still running, so the page says why it waits, the numbers, and what to
 * run, before the outcome is known.
 */
export function pausedMarkdown(workflowId: string, s: DeployStatus): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const look = s.lastVerdict && s.pausedReason?.startsWith('inconclusive') ? s.lastVerdict : null;
  const lines = [
    `### phased: ${s.cluster} <- \`${s.revision}\`: PAUSED, waiting for a person`,
    '',
    cell(s.pausedReason ?? 'paused'),
    '',
    ...(look ? [...look.metrics.map((m) => `- ${cell(m)}`), ''] : []),
    `Resume: \`phased resume ${s.cluster} --reason '...'\`; abort: \`phased abort ${s.cluster} --reason '...'\`; proceed past it: \`phased promote ${s.cluster} --proceed --reason '...'\`.`,
    `Unanswered, phased rolls it back at the cluster's pauseTimeout. Workflow \`${workflowId}\`; report: \`${reportCommand(workflowId)}\`.`,
  ];
  return `${lines.join('\n')}\n`;
}

const clock = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * The block deploy --wait redraws in place on a terminal: phase and its
 * elapsed time (and what is left of a soak or the watch, when the durations
 * are known), hosts by state out of the total, the last verdict.
 */
export function progressBlock(
  s: DeployStatus,
  now: number,
  durations?: { soak: number; watch: number },
): string {
  const c = colors();
  const started = s.timings[s.phase];
  const elapsed = started === undefined ? '' : ` ${clock(now - started)}`;
  const hold =
    s.phase === 'canary' ? durations?.soak : s.phase === 'watching' ? durations?.watch : undefined;
  // Paused time does not count against a soak or the watch.
  const held = now - (started ?? now) - (s.pausedInPhaseMs ?? 0);
  const left =
    hold !== undefined && started !== undefined && !s.paused ? `, ${clock(hold - held)} left` : '';
  const total = Object.values(s.hostCounts).reduce((a, n) => a + (n ?? 0), 0);
  const counts = Object.entries(s.hostCounts).map(([state, n]) => `${n} ${state}`);
  const lines = [
    `${s.cluster} <- ${s.revision}: ${c.bold(s.phase)}${elapsed}${left}${s.paused ? c.yellow(` PAUSED${s.pausedSince !== undefined ? ` ${clock(now - s.pausedSince)}` : ''} (${s.pausedReason})`) : ''}`,
    `  hosts (${total}): ${counts.join(', ')}`,
  ];
  if (s.lastVerdict)
    lines.push(
      `  last verdict (${lookLabel(s.lastVerdict)}): ${paint(s.lastVerdict.verdict, s.lastVerdict.verdict)}: ${s.lastVerdict.reason}`,
    );
  return lines.join('\n');
}
