// Builds the probes a cluster configuration asks for.
import type { ProbeConfig } from '../config/schema.js';
import { commandProbe, cpuProbe, loadavgProbe, parseKeyValue } from './command.js';
import { logLinesProbe } from './log-lines.js';
import { prometheusProbe } from './prometheus.js';
import type { Probe } from './types.js';

export function buildProbe(p: ProbeConfig): Probe {
  switch (p.type) {
    case 'loadavg':
      return loadavgProbe();
    case 'cpu':
      return cpuProbe();
    case 'log-lines':
      return logLinesProbe(p);
    case 'prometheus':
      return prometheusProbe(p);
    case 'command':
      return commandProbe({
        name: p.argv[0]!,
        argv: p.argv,
        series: p.series,
        parse: parseKeyValue,
      });
  }
}
