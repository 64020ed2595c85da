// Fan-out staging against direct staging, over real links: every host is an
// sshd in its own network namespace on a bridge, its uplink and downlink
// shaped by tc (tbf), and the worker's uplink to all of them shaped at the
// bridge. phased's real stageHosts activity (run outside a worker with the
// SDK's MockActivityEnvironment) stages a release onto fresh roots, then a
// delta, once directly from the worker and once through seeds; who goes
// first alternates with the fleet size. Worker bytes are what crossed the
// bridge from the worker (its tx counter), all traffic included.
//
// The floor: what this machine lets hosts copy among themselves at all. Half
// the hosts serve the release, the other half pull it from them at once
// (phased's relay daemon and pull, no check, no worker); the hosts' copies a
// fan-out needs, (hosts - seeds) releases at that aggregate rate, cannot
// take less. Every host shares this machine's CPUs (and its kernel moves
// every byte through veth, bridge and tbf); on a real fleet each has its own.
//
//   sudo npx tsx bench/fleet/fanout.ts [--sizes 8,16,32,64] [--mib 50] [--files 500]
//     [--changed 0.05] [--host-rate 100mbit] [--worker-rate 200mbit]
//     [--out fleet-fanout] [--fan-out-only] [--per-seed N]
//
// --fan-out-only stages one host and then each size through seeds only, prints
// the times and writes nothing: for trying a change to the swarm quickly.
// --per-seed N makes each serving host copy to N at once instead of what
// auto picks.
//
// Needs root (namespaces, tc). This kernel has no netem, so links are rate
// limits without added delay.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../../activities/hosts.js';
import { holdBenchCluster, releaseFiles, sshSpec } from './shared.js';
import { ClusterStore } from '../../src/config/store.js';
import { projectRoot } from '../../src/paths.js';
import { closeTransports, installRuntime, realHostDeps } from '../../src/app/worker.js';
import { transportSpec } from '../../src/core/plan.js';
import { autoShape } from '../../src/releases/fan-out-plan.js';
import { followDepth } from '../../src/releases/swarm.js';
import { pullFromSeed, serveRelease } from '../../src/releases/relay.js';
import type { Host } from '../../src/core/vocabulary.js';
import { deployUser } from '../deploy-user.js';
import { startNetnsFleet, type NetnsFleet } from '../../test/helpers/netns-fleet.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '8,16,32,64' },
    mib: { type: 'string', default: '50' },
    files: { type: 'string', default: '500' },
    changed: { type: 'string', default: '0.05' },
    'host-rate': { type: 'string', default: '100mbit' },
    'worker-rate': { type: 'string', default: '200mbit' },
    out: { type: 'string', default: 'fleet-fanout' },
    'fan-out-only': { type: 'boolean', default: false },
    'per-seed': { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
/** tc's rate in bits per second ("100mbit"). */
const hostRateBits =
  Number(/^(\d+)/.exec(values['host-rate'])?.[1] ?? NaN) *
  ({ kbit: 1e3, mbit: 1e6, gbit: 1e9 }[/[a-z]+$/.exec(values['host-rate'])?.[0] ?? ''] ?? NaN);
const FILES = Number(values.files);
const BYTES = Number(values.mib) * 2 ** 20;
const CHANGED = Number(values.changed);
const { sizeOf, fileOf } = releaseFiles(FILES, BYTES);

installRuntime();
const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-fanout-bench-'));
const clustersDir = path.join(dir, 'clusters');
const user = deployUser();
const deps = realHostDeps(new ClusterStore(clustersDir));
const activities = createHostActivities(deps);
const env = new MockActivityEnvironment();
const inActivity = <R>(fn: () => Promise<R>) => env.run<[], R, () => Promise<R>>(fn);

const r0 = path.join(dir, 'r0');
for (let i = 0; i < FILES; i++) {
  const f = path.join(r0, fileOf(i));
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, randomBytes(sizeOf(i)));
}
const r1 = path.join(dir, 'r1');
cpSync(r0, r1, { recursive: true, preserveTimestamps: true });
for (let i = 0; i < FILES; i += Math.round(1 / CHANGED))
  writeFileSync(path.join(r1, fileOf(i)), randomBytes(sizeOf(i)));

interface Copy {
  seconds: number;
  /** Bytes that crossed the bridge from the worker. */
  workerBytes: number;
  /** Hosts whose copy came from a seed (the rest from the worker). */
  relayed: number;
  /** Files the worker's check found wrong after a seed's copy (should be 0). */
  repaired: number;
  /** Why host-to-host copies failed (the worker then finished them). */
  relayErrors: string[];
}

interface Mode {
  first: Copy;
  delta: Copy;
  seeds: number;
  /** The longest chain of following copies the plan allowed. */
  followDepth: number;
}

async function stage(
  fleet: NetnsFleet,
  ref: ReturnType<typeof holdBenchCluster>,
  hosts: Host[],
  revision: string,
  source: string,
): Promise<Copy> {
  execFileSync('sync');
  const before = fleet.workerBytesSent();
  const t0 = performance.now();
  const staged = await inActivity(() => activities.stageHosts({ ref, hosts, revision, source }));
  const seconds = (performance.now() - t0) / 1000;
  if (staged.failed.length > 0) throw new Error(JSON.stringify(staged.failed));
  const relays = staged.ok.map((o) => o.result.relay);
  return {
    seconds,
    workerBytes: fleet.workerBytesSent() - before,
    relayed: relays.filter((r) => r?.pulled).length,
    repaired: relays.reduce((n, r) => n + (r?.repaired ?? 0), 0),
    relayErrors: relays.flatMap((r) => (r && !r.pulled ? [r.error ?? '?'] : [])),
  };
}

function rootsFor(fleet: NetnsFleet, name: string, count = fleet.hosts.length): Host[] {
  return fleet.hosts.slice(0, count).map((h) => {
    const root = path.join(h.root, name);
    mkdirSync(root, { recursive: true });
    execFileSync('chown', [user, root]);
    return { name: h.name, address: h.address, port: 22, root };
  });
}

async function measure(fleet: NetnsFleet, n: number, fanOut: boolean): Promise<Mode> {
  const name = fanOut ? 'fanout' : 'direct';
  const hosts = rootsFor(fleet, name);
  // The shape `auto` picks (forced below 16 hosts, where auto copies directly).
  const picked = autoShape(n);
  const auto = values['per-seed'] ? { ...picked, perSeed: Number(values['per-seed']) } : picked;
  const ref = holdBenchCluster(
    clustersDir,
    `bench-${n}-${name}`,
    spec(fleet),
    hosts,
    fanOut ? { staging: { fanOut: auto } } : {},
  );
  const first = await stage(fleet, ref, hosts, 'r0', r0);
  const delta = await stage(fleet, ref, hosts, 'r1', r1);
  for (const h of hosts) rmSync(h.root, { recursive: true, force: true });
  return {
    first,
    delta,
    seeds: fanOut ? auto.seeds : 0,
    followDepth: fanOut ? followDepth(n, auto.seeds, auto.perSeed) : 0,
  };
}

const spec = (fleet: NetnsFleet) => sshSpec(fleet, user);

interface Floor {
  /** Host-to-host copies made at once, and how long they took together. */
  pairs: number;
  seconds: number;
  /** Release bytes per second the hosts received, all pairs together. */
  bytesPerSecond: number;
}

/** Half the hosts pull the release from the other half, all at once: the machine's host-to-host rate. */
async function floor(fleet: NetnsFleet): Promise<Floor> {
  const hosts = rootsFor(fleet, 'floor');
  const pairs = Math.floor(hosts.length / 2);
  for (const h of hosts.slice(0, pairs)) {
    cpSync(r0, path.join(h.root, 'releases', 'r0'), { recursive: true, preserveTimestamps: true });
    execFileSync('chown', ['-R', user, h.root]);
  }
  const ref = holdBenchCluster(clustersDir, `bench-floor-${hosts.length}`, spec(fleet), hosts);
  const t = deps.transport(transportSpec(deps.clusters.current(ref.cluster).config));
  const serving = await Promise.all(
    hosts.slice(0, pairs).map((h) => serveRelease(t, h, 'r0', { maxConnections: 1 })),
  );
  execFileSync('sync');
  const t0 = performance.now();
  try {
    await Promise.all(
      serving.map((s, i) =>
        pullFromSeed(t, hosts[pairs + i]!, 'r0', null, s.source, { timeoutMs: 600_000 }),
      ),
    );
  } finally {
    await Promise.all(serving.map((s) => s.stop()));
  }
  const seconds = (performance.now() - t0) / 1000;
  for (const h of hosts) rmSync(h.root, { recursive: true, force: true });
  return { pairs, seconds, bytesPerSecond: (pairs * BYTES) / seconds };
}

const rows: { hosts: number; direct: Mode; fanOut: Mode; floor: Floor }[] = [];
let single: Copy | undefined;
try {
  for (const [k, n] of SIZES.entries()) {
    const fleet = await startNetnsFleet(n, {
      hostRate: values['host-rate'],
      workerRate: values['worker-rate'],
    });
    try {
      for (const h of fleet.hosts) execFileSync('chown', [user, h.root]);
      if (!single) {
        const one = rootsFor(fleet, 'single', 1);
        const ref = holdBenchCluster(clustersDir, 'bench-single', spec(fleet), one);
        single = await stage(fleet, ref, one, 'r0', r0);
        for (const h of one) rmSync(h.root, { recursive: true, force: true });
        console.log(`one host, first copy: ${JSON.stringify(single)}`);
      }
      if (values['fan-out-only']) {
        console.log(`${n} hosts, fan-out: ${JSON.stringify(await measure(fleet, n, true))}`);
        continue;
      }
      const pair =
        k % 2 === 0
          ? { direct: await measure(fleet, n, false), fanOut: await measure(fleet, n, true) }
          : { fanOut: await measure(fleet, n, true), direct: await measure(fleet, n, false) };
      rows.push({ hosts: n, ...pair, floor: await floor(fleet) });
      console.log(`${n} hosts: ${JSON.stringify(pair)}`);
    } finally {
      await closeTransports();
      await fleet.stopAll();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (values['fan-out-only']) process.exit(0);

const command = `sudo npx tsx bench/fleet/fanout.ts --sizes ${values.sizes} --mib ${values.mib} --files ${values.files} --changed ${values.changed} --host-rate ${values['host-rate']} --worker-rate ${values['worker-rate']}${values.out === 'fleet-fanout' ? '' : ` --out ${values.out}`}${values['per-seed'] ? ` --per-seed ${values['per-seed']}` : ''}`;
const out = path.join(projectRoot, 'bench', 'results');
const result = {
  command,
  date: new Date().toISOString().slice(0, 10),
  machine: `${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, Linux ${os.release()}`,
  release: { files: FILES, bytes: BYTES, changedShare: CHANGED },
  links: {
    host: values['host-rate'],
    worker: values['worker-rate'],
    delay: 'none (no netem in this kernel)',
  },
  single,
  rows,
};
writeFileSync(path.join(out, `${values.out}.json`), JSON.stringify(result, null, 2) + '\n');
const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const x = (a: number, b: number) => (a / b).toFixed(2);
const md = [
  '# Fan-out staging over shaped links',
  '',
  `\`${command}\``,
  '',
  `${result.date}, ${result.machine}. Hosts in network namespaces on one bridge; each host's links ${values['host-rate']} each way (tc tbf), the worker's uplink to all hosts ${values['worker-rate']}; no added delay (this kernel has no netem). Release: ${FILES} files, ${mb(BYTES)} MiB; the delta rewrites ${(CHANGED * 100).toFixed(0)}% of its files. Each size runs direct and fan-out (seeds: the shape \`auto\` picks, forced at 8 hosts; chain links: the longest chain of hosts following one still filling that the plan allows) on fresh roots, who goes first alternating. Worker bytes: what crossed the bridge from the worker, SSH and checks included.`,
  '',
  `One host, first copy, direct: ${single!.seconds.toFixed(1)} s, ${mb(single!.workerBytes)} MiB from the worker.`,
  '',
  '| hosts | seeds | chain links | first copy direct | first copy fan-out | fan-out / direct | fan-out / one host | worker MiB direct | worker MiB fan-out | (seeds+1) x release | delta direct | delta fan-out | delta worker MiB direct / fan-out | relayed | repaired |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.hosts} | ${r.fanOut.seeds} | ${r.fanOut.followDepth} | ${r.direct.first.seconds.toFixed(1)} s | ${r.fanOut.first.seconds.toFixed(1)} s | ${x(r.fanOut.first.seconds, r.direct.first.seconds)} | ${x(r.fanOut.first.seconds, single!.seconds)} | ${mb(r.direct.first.workerBytes)} | ${mb(r.fanOut.first.workerBytes)} | ${mb((r.fanOut.seeds + 1) * BYTES)} | ${r.direct.delta.seconds.toFixed(1)} s | ${r.fanOut.delta.seconds.toFixed(1)} s | ${mb(r.direct.delta.workerBytes)} / ${mb(r.fanOut.delta.workerBytes)} | ${r.fanOut.first.relayed} + ${r.fanOut.delta.relayed} | ${r.fanOut.first.repaired + r.fanOut.delta.repaired} |`,
  ),
  '',
  ...rows.flatMap((r) =>
    [...r.fanOut.first.relayErrors, ...r.fanOut.delta.relayErrors].map(
      (e) => `Host-to-host copy failed at ${r.hosts} hosts (the worker finished it): ${e}`,
    ),
  ),
  '',
  "The floor: half the hosts pull the release from the other half at once (phased's relay, no check). Where their aggregate rate is well under what their links allow, this machine (its CPUs and its kernel, which carry every host's bytes) is the limit, and the host-to-host copies a first fan-out copy needs, (hosts - seeds) releases, take at least their bytes over that rate; no fan-out is sooner than one host's copy (the seeds') either: the floor is the larger. Where the links are the limit (few pairs), more hosts copying at once could go faster and the floor is not one. Fan-out / floor says how far the swarm is from what this machine can move.",
  '',
  '| hosts | pairs at once | their time | aggregate MiB/s | their links allow MiB/s | (hosts - seeds) copies at that rate | floor | fan-out first copy | fan-out / floor |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => {
    const copies = ((r.hosts - r.fanOut.seeds) * BYTES) / r.floor.bytesPerSecond;
    const bound = Math.max(copies, single!.seconds);
    return `| ${r.hosts} | ${r.floor.pairs} | ${r.floor.seconds.toFixed(1)} s | ${(r.floor.bytesPerSecond / 2 ** 20).toFixed(0)} | ${((r.floor.pairs * hostRateBits) / 8 / 2 ** 20).toFixed(0)} | ${copies.toFixed(1)} s | ${bound.toFixed(1)} s | ${r.fanOut.first.seconds.toFixed(1)} s | ${x(r.fanOut.first.seconds, bound)} |`;
  }),
  '',
];
writeFileSync(path.join(out, `${values.out}.md`), md.join('\n'));
console.log(md.join('\n'));
