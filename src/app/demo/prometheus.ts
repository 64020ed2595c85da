// A real Prometheus (Debian's package) on a loopback port, for the demo and
// the tests: it scrapes a fixed list of targets, or the target files a
// directory holds (file service discovery, re-read every second, so tests
// can add and remove their fleets while it runs). stop() waits until it is gone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PhasedError } from '../../errors.js';
import { eventually } from '../../poll.js';
import { freePort } from '../temporal/ports.js';

export const PROMETHEUS_BINARY = process.env.PHASED_PROMETHEUS ?? '/usr/bin/prometheus';

export interface ScrapeTarget {
  /** host:port of a /metrics endpoint. */
  address: string;
  /** Labels every series of the target gets (e.g. { host: 'web-1' }). */
  labels: Record<string, string>;
}

export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** Its configuration and its database go here. */
  dir: string;
  scrapeInterval: string;
  targets?: ScrapeTarget[];
  /** Scrape the targets of every *.json file here too (Prometheus's file_sd format). */
  targetsDir?: string;
}

/** Writes a targets file where a running Prometheus picks it up (atomically: it never reads half a file). */
export function writeTargetsFile(file: string, targets: ScrapeTarget[]) {
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify(targets.map((t) => ({ targets: [t.address], labels: t.labels }))),
  );
  renameSync(`${file}.tmp`, file);
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BINARY))
    throw new PhasedError({
      code: 'PROMETHEUS_MISSING',
      problem: `no Prometheus at ${PROMETHEUS_BINARY}`,
      fix: "install Debian's prometheus package (bash scripts/setup.sh --tests does), or set PHASED_PROMETHEUS to its path",
    });
  mkdirSync(options.dir, { recursive: true });
  const config = path.join(options.dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed for this.
  writeFileSync(
    config,
    JSON.stringify({
      global: {
        scrape_interval: options.scrapeInterval,
        scrape_timeout: options.scrapeInterval,
      },
      scrape_configs: [
        {
          job_name: 'fleet',
          static_configs: (options.targets ?? []).map((t) => ({
            targets: [t.address],
            labels: t.labels,
          })),
          ...(options.targetsDir
            ? {
                file_sd_configs: [
                  { files: [path.join(options.targetsDir, '*.json')], refresh_interval: '1s' },
                ],
              }
            : {}),
        },
      ],
    }),
  );
  const port = await freePort('127.0.0.1');
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Its data is thrown away: a shutdown that lingers (flushing its head block) is cut short.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr.slice(-500)}`);
        const r = await fetch(`${url}/-/ready`).catch(() => undefined);
        return r?.ok ?? false;
      },
      { what: 'Prometheus to be ready', timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
