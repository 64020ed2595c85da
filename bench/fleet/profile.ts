// Where a delta staging's time goes: the real stageHosts activity on a
// loopback sshd fleet, its transport wrapped to time every remote step per
// host, with the worker's and the machine's CPU over the staging.
//
//   npx tsx bench/fleet/profile.ts [--hosts 20] [--files 5000] [--mib 50]
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../../activities/hosts.js';
import { closeTransports, installRuntime, realHostDeps } from '../../src/app/worker.js';
import { benchFleet, releaseFiles, holdBenchCluster } from './shared.js';
import { ClusterStore } from '../../src/config/store.js';
import type { Host } from '../../src/core/vocabulary.js';
import type { HostTransport } from '../../src/transport/types.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    files: { type: 'string', default: '5000' },
    mib: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '2' },
  },
});
const HOSTS = Number(values.hosts);
const FILES = Number(values.files);
const BYTES = Number(values.mib) * 2 ** 20;
installRuntime('ERROR');

const { sizeOf, fileOf } = releaseFiles(FILES, BYTES);

/** Busy and total jiffies of the whole machine. */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** A step's name: the phased script's, else the program's. */
const label = (argv: readonly string[]) => (argv[0] === 'sh' ? argv[3]! : argv[0]!);

type Step = { host: string; what: string; start: number; end: number };
const steps: Step[] = [];
function timed(real: HostTransport, t0: () => number): HostTransport {
  const wrap = async <R>(host: Host, what: string, fn: () => Promise<R>) => {
    const start = performance.now() - t0();
    try {
      return await fn();
    } finally {
      steps.push({ host: host.name, what, start, end: performance.now() - t0() });
    }
  };
  return {
    exec: (host, argv, o) => wrap(host, `exec ${label(argv)}`, () => real.exec(host, argv, o)),
    start: (host, argv) =>
      wrap(host, `start ${label(argv)}`, async () => {
        const p = await real.start(host, argv);
        const s = performance.now() - t0();
        void p.done.then(() =>
          steps.push({
            host: host.name,
            what: `${label(argv)} done`,
            start: s,
            end: performance.now() - t0(),
          }),
        );
        return p;
      }),
    sync: (host, o) =>
      wrap(host, `sync${o.filesFrom ? ' files-from' : ''}${o.checksum ? ' checksum' : ''}`, () =>
        real.sync(host, o),
      ),
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-profile-'));
const { fleet, user: USER, spec } = await benchFleet(HOSTS);
try {
  const hosts: Host[] = fleet.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    port: h.port,
    root: path.join(h.root, 'p'),
    tags: {},
  }));
  for (const h of hosts) mkdirSync(path.join(h.root, 'releases'), { recursive: true });
  for (const h of fleet.hosts) execFileSync('chown', ['-R', USER, h.root]);
  let t0 = 0;
  const clustersDir = path.join(dir, 'clusters');
  const ref = holdBenchCluster(clustersDir, 'bench-profile', spec, hosts);
  const real = realHostDeps(new ClusterStore(clustersDir));
  const tree = real.treeChecksum;
  let hashMs = 0;
  const activities = createHostActivities({
    ...real,
    transport: (s) => timed(real.transport(s), () => t0),
    treeChecksum: async (src, o) => {
      const s = performance.now();
      try {
        return await tree(src, o);
      } finally {
        hashMs = performance.now() - s;
      }
    },
  });
  const env = new MockActivityEnvironment();
  const src = (r: number) => path.join(dir, `r${r}`);
  for (let i = 0; i < FILES; i++) {
    const f = path.join(src(0), fileOf(i));
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, randomBytes(sizeOf(i)));
  }
  for (let r = 0; r <= Number(values.rounds); r++) {
    if (r > 0) {
      cpSync(src(r - 1), src(r), { recursive: true, preserveTimestamps: true });
      for (let i = r; i < FILES; i += 100)
        writeFileSync(path.join(src(r), fileOf(i)), randomBytes(sizeOf(i)));
    }
    steps.length = 0;
    const cpu0 = process.cpuUsage();
    const m0 = machineTicks();
    t0 = performance.now();
    const out = await env.run<
      [],
      Awaited<ReturnType<typeof activities.stageHosts>>,
      () => ReturnType<typeof activities.stageHosts>
    >(() => activities.stageHosts({ ref, hosts, revision: `r${r}`, source: src(r) }));
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const m1 = machineTicks();
    if (out.failed.length) throw new Error(JSON.stringify(out.failed));
    const by = new Map<string, number[]>();
    const ends = new Map<string, number[]>();
    for (const s of steps) {
      const k = s.what;
      by.set(k, [...(by.get(k) ?? []), s.end - s.start]);
      ends.set(k, [...(ends.get(k) ?? []), s.end]);
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    console.log(
      `\nround ${r}: wall ${wall.toFixed(0)} ms; worker cpu user ${(cpu.user / 1000).toFixed(0)} ms sys ${(cpu.system / 1000).toFixed(0)} ms; machine busy ${(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100).toFixed(0)}% of ${os.cpus().length} CPUs (${((m1.busy - m0.busy) / 100).toFixed(2)} CPU-s); hashing ${hashMs.toFixed(0)} ms`,
    );
    if (process.env.PROFILE_STEPS)
      for (const s of [...steps].sort((a, b) => a.start - b.start))
        console.log(`    ${s.host} ${s.what} ${s.start.toFixed(0)}-${s.end.toFixed(0)}`);
    for (const [k, v] of by)
      console.log(
        `  ${k.padEnd(50)} n=${String(v.length).padStart(3)} median ${med(v).toFixed(0).padStart(5)} ms  max ${Math.max(
          ...v,
        )
          .toFixed(0)
          .padStart(5)} ms  last end ${Math.max(...ends.get(k)!)
          .toFixed(0)
          .padStart(5)} ms`,
      );
  }
} finally {
  await closeTransports();
  await fleet.stopAll();
  rmSync(dir, { recursive: true, force: true });
}
