// Probes that run a program on the host and parse what it prints.
import { BUILTIN_SERIES } from './builtin-series.js';
import { ProbeError, type Probe, type ProbeContext, type ProbeReading } from './types.js';

export type OutputParser = (stdout: string) => ProbeReading;

export interface CommandProbeOptions {
  /** Name used in errors. */
  name: string;
  argv: readonly string[];
  series: readonly string[];
  parse: OutputParser;
}

export function commandProbe({ name, argv, series, parse }: CommandProbeOptions): Probe {
  return {
    series,
    async read({ host, transport, timeoutMs }: ProbeContext) {
      let result;
      try {
        result = await transport.exec(host, argv, { timeoutMs });
      } catch (cause) {
        throw new ProbeError(host.name, name, `cannot run ${argv[0]}: ${String(cause)}`, { cause });
      }
      if (result.code !== 0) {
        const why = result.code === null ? 'timed out or was killed' : `exited ${result.code}`;
        throw new ProbeError(
          host.name,
          name,
          `${argv[0]} ${why}: ${result.stderr.trim().slice(0, 200)}`,
        );
      }
      let reading: ProbeReading;
      try {
        reading = parse(result.stdout);
      } catch (cause) {
        throw new ProbeError(host.name, name, `unexpected output: ${String(cause)}`, { cause });
      }
      for (const s of series)
        if (!Number.isFinite(reading.values[s]))
          throw new ProbeError(host.name, name, `output has no value for ${s}`);
      return reading;
    },
  };
}

function numbers(line: string | undefined, what: string): number[] {
  if (line === undefined) throw new Error(`missing ${what}`);
  const parts = line.trim().split(/\s+/);
  return parts.map((p) => Number(p));
}

/** /proc/loadavg: "0.52 0.58 0.59 1/467 12345". */
export function parseLoadavg(stdout: string): ProbeReading {
  const [l1, l5, l15] = numbers(stdout.split('\n')[0], 'load averages');
  const [n1, n5, n15] = BUILTIN_SERIES.loadavg;
  return { values: { [n1]: l1!, [n5]: l5!, [n15]: l15! } };
}

/**
 * First line of /proc/stat: "cpu user nice system idle iowait irq softirq
 * steal ...". Busy = total - idle - iowait; both are cumulative jiffies.
 */
export function parseProcStat(stdout: string): ProbeReading {
  const line = stdout.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate "cpu " line');
  const fields = numbers(line.slice(4), 'cpu fields').slice(0, 8);
  if (fields.length < 5 || fields.some((f) => !Number.isFinite(f)))
    throw new Error(`bad cpu line: ${line}`);
  const total = fields.reduce((s, f) => s + f, 0);
  const idle = fields[3]! + fields[4]!;
  const [busy, all] = BUILTIN_SERIES.cpu;
  return { values: { [busy]: total - idle, [all]: total } };
}

/** Lines of "name value" (what a team's own metrics script prints). */
export function parseKeyValue(stdout: string): ProbeReading {
  const values: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [key, value, ...rest] = t.split(/\s+/);
    if (!key || value === undefined || rest.length > 0 || !Number.isFinite(Number(value)))
      throw new Error(`expected "name value", got: ${t.slice(0, 80)}`);
    values[key] = Number(value);
  }
  return { values };
}

/** Load averages (gauges load1, load5, load15). */
export const loadavgProbe = (): Probe =>
  commandProbe({
    name: 'loadavg',
    argv: ['cat', '/proc/loadavg'],
    series: BUILTIN_SERIES.loadavg,
    parse: parseLoadavg,
  });

/** CPU jiffies (counters cpu_busy, cpu_total); judge utilisation as cpu_busy per cpu_total. */
export const cpuProbe = (): Probe =>
  commandProbe({
    name: 'cpu',
    argv: ['head', '-n', '1', '/proc/stat'],
    series: BUILTIN_SERIES.cpu,
    parse: parseProcStat,
  });
