// Builds the probes a cluster configuration asks for.
import type { ProbeConfig } from '../config/schema.js';
import { commandProbe, cpuProbe, loadavgProbe, parseKeyValue } from './command.js';
import { logCountsProbe, logLinesProbe } from './log-lines.js';
import { prometheusProbe } from './prometheus.js';
import { promqlProbe, type PromqlReader } from './promql.js';
import type { Probe } from './types.js';

/** `{root}` in a probe's paths and arguments stands for the host's deploy root. */
export function forHost(p: ProbeConfig, root: string): ProbeConfig {
  const sub = (s: string) => s.replaceAll('{root}', root);
  if (p.type === 'log-lines' || p.type === 'log-counts') return { ...p, path: sub(p.path) };
  if (p.type === 'command') return { ...p, argv: p.argv.map(sub) };
  return p;
}

/** The cluster's central metrics store, for the probes that query it (one reader per sampling activity). */
export interface ProbeSources {
  promql?: PromqlReader;
}

export function buildProbe(p: ProbeConfig, sources: ProbeSources = {}): Probe {
  switch (p.type) {
    case 'loadavg':
      return loadavgProbe();
    case 'cpu':
      return cpuProbe();
    case 'log-lines':
      return logLinesProbe(p);
    case 'log-counts':
      return logCountsProbe(p);
    case 'prometheus':
      return prometheusProbe(p);
    case 'promql':
      // The cluster file refuses a promql probe without a metricsSource.
      return promqlProbe(sources.promql!, p.series);
    case 'command':
      return commandProbe({
        name: p.argv[0]!,
        argv: p.argv,
        series: p.series,
        parse: parseKeyValue,
      });
  }
}
