// The demo's closing report: what each deploy did and why, where every host
// ended up, and what the traffic saw.
import type { VerdictRecord } from '../../../workflows/model.js';
import { lookLabel } from '../cli/format.js';
import type { DemoResult, DeployReport } from './run.js';
import type { Response } from './traffic.js';

function timings(t: DeployReport['outcome']['timings']): string {
  const phases = Object.entries(t).sort(([, a], [, b]) => (a ?? 0) - (b ?? 0));
  return phases
    .slice(0, -1)
    .map(([p, at], i) => `${p} ${(((phases[i + 1]![1] ?? 0) - (at ?? 0)) / 1000).toFixed(1)} s`)
    .join(', ');
}

function verdictLines(v: VerdictRecord): string[] {
  return [`  ${lookLabel(v)}: ${v.verdict}: ${v.reason}`, ...v.metrics.map((m) => `    ${m}`)];
}

function deployLines(name: string, d: DeployReport): string[] {
  const { outcome } = d;
  const lines = [`${name}: ${outcome.outcome}: ${outcome.summary}`, `  workflow ${d.workflowId}`];
  lines.push(`  timings: ${timings(outcome.timings)}`);
  const watch = outcome.verdicts.filter((v) => v.phase === 'watch');
  for (const v of outcome.verdicts.filter((x) => x.phase !== 'watch'))
    lines.push(...verdictLines(v));
  if (watch.length > 0) {
    const verdicts = [...new Set(watch.map((v) => v.verdict))].join('/');
    lines.push(`  watch: ${watch.length} looks (${verdicts}); the last one:`);
    lines.push(...verdictLines(watch.at(-1)!).map((l) => `  ${l}`));
  }
  if (outcome.rolledBack.length > 0) lines.push(`  rolled back: ${outcome.rolledBack.join(', ')}`);
  return lines;
}

/** Responses grouped by release and status, with the hosts that gave them. */
export function trafficSummary(record: Response[]): string[] {
  const groups = new Map<string, { count: number; hosts: Set<string> }>();
  for (const r of record) {
    const key =
      r.status === 0
        ? `no response (${r.error ?? 'unknown'})`
        : `${r.status} from ${r.release ?? 'no release'}`;
    const g = groups.get(key) ?? { count: 0, hosts: new Set<string>() };
    g.count++;
    g.hosts.add(r.host);
    groups.set(key, g);
  }
  const lines = [`traffic: ${record.length} requests`];
  for (const [key, g] of [...groups].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${String(g.count).padStart(6)} x ${key} on ${[...g.hosts].sort().join(', ')}`);
  return lines;
}

export function demoReport(result: DemoResult, uiUrl: string | undefined, namespace: string) {
  const byRelease = new Map<string, string[]>();
  for (const [host, rev] of Object.entries(result.currents))
    byRelease.set(rev ?? 'nothing', [...(byRelease.get(rev ?? 'nothing') ?? []), host]);
  const lines = [
    '',
    ...deployLines('deploy 1 (good)', result.good),
    '',
    ...deployLines('deploy 2 (bad)', result.bad),
    '',
    ...deployLines('deploy 3 (crash: its web server does not start)', result.crash),
    '',
    `hosts: ${[...byRelease].map(([rev, hosts]) => `${rev} on ${hosts.join(', ')}`).join('; ')}`,
    ...trafficSummary(result.traffic),
  ];
  if (uiUrl) {
    lines.push('', `Temporal UI: ${uiUrl}/namespaces/${namespace}/workflows`);
    for (const d of [result.good, result.bad, result.crash])
      lines.push(`  ${uiUrl}/namespaces/${namespace}/workflows/${d.workflowId}`);
  }
  return lines.join('\n');
}
