// A real Prometheus (Debian's package; scripts/setup.sh --tests installs it)
// on a loopback port, scraping the targets a test names twice a second. It is
// stopped, and waited for, when the test ends.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { eventually } from '../../src/poll.js';
import { freePort } from '../../src/temporal/ports.js';
import { testDir } from './tmp.js';

export const PROMETHEUS = process.env.PHASED_PROMETHEUS ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  /** host:port of a /metrics endpoint. */
  address: string;
  /** Labels every series of the target gets (e.g. { host: 'web-1' }). */
  labels: Record<string, string>;
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: ScrapeTarget[]): Promise<RunningPrometheus> {
  const dir = await testDir('phased-prometheus-');
  const config = path.join(dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed for this.
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '500ms', scrape_timeout: '400ms' },
      scrape_configs: [
        {
          job_name: 'fleet',
          static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })),
        },
      ],
    }),
  );
  const port = await freePort('127.0.0.1');
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  onTestFinished(stop);
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr.slice(-500)}`);
      const r = await fetch(`${url}/-/ready`).catch(() => undefined);
      return r?.ok ?? false;
    },
    { what: 'Prometheus to be ready', timeoutMs: 30_000, intervalMs: 100 },
  );
  return { url, stop };
}

/** Waits until Prometheus has scraped every target at least once, and they are up. */
export async function waitScraped(prom: RunningPrometheus, targets: number): Promise<void> {
  await eventually(
    async () => {
      const r = (await (
        await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`)
      ).json()) as { data: { result: { value: [number, string] }[] } };
      return Number(r.data.result[0]?.value[1] ?? 0) === targets;
    },
    { what: `Prometheus to scrape ${targets} targets`, timeoutMs: 30_000, intervalMs: 200 },
  );
}
