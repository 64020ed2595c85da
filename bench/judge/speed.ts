// How long one look of the judge takes for a large fleet: 2,000 hosts,
// 12 metrics (6 counter rates, 6 gauges), 5% canary, a 180 s baseline and a
// 60 s window sampled every 10 s.
//
//   npx tsx bench/judge/speed.ts
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judge, type HostSeries, type MetricSpec, type Snapshot } from '../../src/judge/index.js';
import { projectRoot } from '../../src/paths.js';
import { createRng } from './simulate.js';

const HOSTS = 2000;
const COUNTERS = 6;
const GAUGES = 6;
const BEFORE = 19; // readings over 180 s
const AFTER = 7; // readings over 60 s
const RUNS = 20;

const rng = createRng(7);
const series: string[] = [];
const metrics: MetricSpec[] = [];
for (let c = 0; c < COUNTERS; c++) {
  series.push(`errors_${c}`, `requests_${c}`);
  metrics.push({
    name: `errors_${c}`,
    kind: 'counter',
    series: `errors_${c}`,
    exposure: `requests_${c}`,
    worse: 'higher',
    tolerance: 0.2,
    critical: c === 0,
  });
}
for (let g = 0; g < GAUGES; g++) {
  series.push(`gauge_${g}`);
  metrics.push({
    name: `gauge_${g}`,
    kind: 'gauge',
    series: `gauge_${g}`,
    worse: 'higher',
    tolerance: 0.05,
    critical: false,
  });
}

function host(h: number): HostSeries {
  const cum = new Array<number>(series.length).fill(0);
  const snaps: Snapshot[] = [];
  for (let i = 0; i < BEFORE + AFTER - 1; i++) {
    const v: number[] = [];
    for (let c = 0; c < COUNTERS; c++) {
      const req = rng.poisson(1000);
      cum[2 * c] = cum[2 * c]! + rng.poisson(req * 0.01);
      cum[2 * c + 1] = cum[2 * c + 1]! + req;
      v.push(cum[2 * c]!, cum[2 * c + 1]!);
    }
    for (let g = 0; g < GAUGES; g++) v.push(50 * (1 + rng.normal(0, 0.03)));
    snaps.push({ t: i * 10_000, v });
  }
  return { host: `web-${h}`, before: snaps.slice(0, BEFORE), after: snaps.slice(BEFORE - 1) };
}

const hosts = Array.from({ length: HOSTS }, (_, h) => host(h));
const canaryCount = HOSTS / 20;
const input = {
  series,
  metrics,
  canary: hosts.slice(0, canaryCount),
  control: hosts.slice(canaryCount),
  alpha: 0.0005,
};

judge(input); // warm up
const times: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  judge(input);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const medianMs = times[RUNS >> 1]!;
const payloadBytes = Buffer.byteLength(JSON.stringify(input));
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const result = {
  command: 'npx tsx bench/judge/speed.ts',
  date: new Date().toISOString().slice(0, 10),
  machine,
  hosts: HOSTS,
  metrics: metrics.length,
  readingsPerHost: BEFORE + AFTER,
  runs: RUNS,
  medianMs,
  maxMs: times[RUNS - 1]!,
  inputJsonBytes: payloadBytes,
};
writeFileSync(
  path.join(projectRoot, 'bench/results/judge-speed.json'),
  JSON.stringify(result, null, 2) + '\n',
);
const md = [
  '# Judge speed',
  '',
  `Command: \`${result.command}\`. Date: ${result.date}. Machine: ${machine}.`,
  '',
  '| hosts | metrics | readings per host | median per look | slowest of 20 | judge input as JSON |',
  '| --- | --- | --- | --- | --- | --- |',
  `| ${HOSTS} | ${metrics.length} | ${BEFORE + AFTER} | ${medianMs.toFixed(1)} ms | ${result.maxMs.toFixed(1)} ms | ${(payloadBytes / 2 ** 20).toFixed(2)} MiB |`,
  '',
];
writeFileSync(path.join(projectRoot, 'bench/results/judge-speed.md'), md.join('\n'));
console.log(md.join('\n'));
