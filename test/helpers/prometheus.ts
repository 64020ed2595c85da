// The test run's Prometheus (started by test/setup/global.ts): a test puts
// its targets in a file Prometheus re-reads every second, each series
// labelled with the test's own `fleet`, so tests running at once never see
// each other's hosts; the file is removed when the test ends.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { inject, onTestFinished } from 'vitest';
import { writeTargetsFile, type ScrapeTarget } from '../../src/app/demo/prometheus.js';
import { eventually } from '../../src/poll.js';
import { uniqueId } from './temporal.js';

export interface ScrapedFleet {
  /** The Prometheus URL. */
  url: string;
  /** The `fleet` label of this test's series: use it in every query. */
  fleet: string;
}

interface Vector {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** Runs an instant query on the test run's Prometheus. */
export async function instantQuery(query: string): Promise<Vector['data']['result']> {
  const url = `${inject('prometheusUrl')}/api/v1/query?query=${encodeURIComponent(query)}`;
  return ((await (await fetch(url)).json()) as Vector).data.result;
}

/** Has Prometheus scrape these targets from now until the test ends; waits until each is up. */
export async function scrapeTargets(targets: ScrapeTarget[]): Promise<ScrapedFleet> {
  const fleet = uniqueId('fleet');
  const file = path.join(inject('prometheusTargetsDir'), `${fleet}.json`);
  writeTargetsFile(
    file,
    targets.map((t) => ({ ...t, labels: { ...t.labels, fleet } })),
  );
  onTestFinished(() => rmSync(file, { force: true }));
  await eventually(
    async () => {
      const r = await instantQuery(`sum(up{fleet="${fleet}"})`);
      return Number(r[0]?.value[1] ?? 0) === targets.length;
    },
    { what: `Prometheus to scrape ${targets.length} targets`, timeoutMs: 30_000, intervalMs: 200 },
  );
  return { url: inject('prometheusUrl'), fleet };
}

/** Waits until Prometheus holds at least `samples` of `metric` for every target of `fleet` over the last `seconds`. */
export async function waitForHistory(
  metric: string,
  fleet: string,
  seconds: number,
  samples: number,
): Promise<void> {
  await eventually(
    async () => {
      const r = await instantQuery(
        `min(count_over_time(${metric}{fleet="${fleet}"}[${seconds}s]))`,
      );
      return Number(r[0]?.value[1] ?? 0) >= samples;
    },
    { what: `${seconds} s of ${metric} in Prometheus`, timeoutMs: 30_000, intervalMs: 200 },
  );
}
