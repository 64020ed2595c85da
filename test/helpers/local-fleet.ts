// A fleet of local-transport hosts (directories) with steady traffic: each
// host "serves" 1,000 requests a second (logged every 100 ms), failing the
// share of them that its live release's release.json asks for. Because the share is
// exact, the judge sees no noise, so verdicts are deterministic.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { ClusterConfig } from '../../src/config/schema.js';
import { parseClusterConfig } from '../../src/config/load.js';
import {
  ACCESS_LOG,
  accessLogLine,
  accessLogProbe,
  errorRateMetric,
} from '../../src/app/demo/access-log.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { flipRelease, stageRelease } from '../../src/releases/ops.js';
import { LocalTransport } from '../../src/transport/local.js';
import { holdCluster } from './clusters.js';
import { testDir } from './tmp.js';

export interface LocalFleet {
  dir: string;
  config: ClusterConfig;
  configDoc: Record<string, unknown>;
  roots: Record<string, string>;
  /** A release tree whose requests fail at `errorRate`. */
  release(name: string, errorRate: number): string;
  /** Revision each host's current points at. */
  currents(): Record<string, string | null>;
  startTraffic(): void;
}

/** Hosts that already exist (e.g. sshd hosts); by default the fleet makes local directories. */
export interface ExistingHost {
  name: string;
  address: string;
  port?: number;
  root: string;
}

export async function createLocalFleet(
  cluster: string,
  n = 8,
  overrides: Record<string, unknown> = {},
  existing?: ExistingHost[],
): Promise<LocalFleet> {
  const dir = await testDir('phased-fleet-');
  const names = existing
    ? existing.map((h) => h.name)
    : Array.from({ length: n }, (_, i) => `web-${i + 1}`);
  const roots = Object.fromEntries(
    existing
      ? existing.map((h) => [h.name, h.root])
      : names.map((h) => [h, path.join(dir, 'hosts', h)]),
  );
  for (const r of Object.values(roots))
    mkdirSync(path.join(r, path.dirname(ACCESS_LOG)), { recursive: true });
  const configDoc = {
    cluster,
    hosts: names.map((name, i) => ({
      name,
      root: roots[name],
      ...(existing ? { address: existing[i]!.address, port: existing[i]!.port } : {}),
      tags: { zone: `z${i % 2}` },
    })),
    // Two canaries and three held back on the usual 8 hosts. A smaller fleet
    // (for tests of errors and exit codes) has one canary and asks the judge
    // for fewer controls: planning refuses looks that could never decide.
    ...smallFleetSizes(names.length),
    durations: { baseline: '2s', soak: '3s', watch: '2s', lookEvery: '1s', probeTimeout: '5s' },
    // The demo's own probe and metric, over the same access log lines.
    probes: [accessLogProbe],
    metrics: [errorRateMetric],
    ...overrides,
  };
  const config = parseClusterConfig(configDoc);
  // The worker holds the cluster's file; deploys only name it.
  holdCluster(configDoc);
  const current = (root: string): string | null => {
    try {
      return JSON.parse(readFileSync(path.join(root, 'current/release.json'), 'utf8')) as string;
    } catch {
      return null;
    }
  };
  const rates = new Map<string, number>();
  return {
    dir,
    config,
    configDoc,
    roots,
    release(name, errorRate) {
      const src = path.join(dir, 'builds', name);
      mkdirSync(src, { recursive: true });
      writeFileSync(path.join(src, 'index.html'), `<h1>${name}</h1>\n`);
      writeFileSync(path.join(src, 'release.json'), JSON.stringify(name));
      rates.set(name, errorRate);
      return src;
    },
    currents: () => Object.fromEntries(names.map((h) => [h, current(roots[h]!)])),
    startTraffic() {
      // 1,000 requests a second per host, however late a tick runs: on a busy
      // machine a timer fires late, and a fixed 100 per tick would starve the
      // judge of the exposure it needs (an inconclusive look pauses a deploy).
      // A late tick writes one block of 100 per 100 ms it covers, each with
      // exactly its share of errors, so rates stay exact.
      let last = Date.now() - 100;
      const tick = () => {
        const at = Date.now();
        const blocks = Math.max(1, Math.min(50, Math.round((at - last) / 100)));
        last = at;
        for (const root of Object.values(roots)) {
          const live = current(root);
          if (live === null) continue;
          const errors = Math.round(100 * (rates.get(live) ?? 0));
          const now = new Date(at);
          const lines = Array.from({ length: 100 * blocks }, (_, i) =>
            accessLogLine(now, { method: 'GET', url: '/x' }, i % 100 < errors ? 500 : 200, 1, live),
          ).join('');
          try {
            appendFileSync(path.join(root, ACCESS_LOG), lines);
          } catch {
            // A host a test broke (read-only, root removed) serves no traffic.
          }
        }
      };
      tick();
      const timer = setInterval(tick, 100);
      onTestFinished(() => clearInterval(timer));
    },
  };
}

/** Puts `revision` live on every host directly (the state a previous deploy would leave). */
export async function preinstall(fleet: LocalFleet, revision: string, source: string) {
  const t = new LocalTransport();
  const tree = await treeChecksum(source);
  for (const h of fleet.config.hosts) {
    await stageRelease(t, h, { revision, source, tree });
    await flipRelease(t, h, revision);
  }
}

function smallFleetSizes(n: number) {
  if (n >= 8) return { canary: { size: 2 }, holdback: 3 };
  const controls = Math.max(1, Math.min(3, n - 2));
  const room = n - 2;
  return {
    canary: { size: 1 },
    holdback: room >= controls ? controls : 0,
    judge: { minControlHosts: controls },
  };
}
