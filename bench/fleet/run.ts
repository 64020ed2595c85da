// Fleet benchmark: staging and flipping on a loopback fleet of real sshd
// hosts, phased (its real stageHosts and flipHosts activities, run outside a
// worker with the SDK's MockActivityEnvironment) beside the plain script a
// team would write (plain-deploy.sh: parallel rsync --link-dest, then an ssh
// loop of symlink flips). Each round deploys a new release with a fraction of
// its files changed to both; who goes first alternates, and timings are
// compared as ratios within a round. Dirty pages are written out before
// every timed staging, so neither tool pays for the other's writes (a full
// copy writes 1 GB: whoever went second was throttled by the first's
// writeback, 1.36-1.44x where the same pair in the other order gave 0.9x).
//
//   npx tsx bench/fleet/run.ts [--hosts 20] [--files 5000] [--mib 50] [--changed 0.01] [--rounds 3] [--first-copies 3] [--fresh-mtimes] [--curve 5,10,20,40]
//
// PHASED_RSYNC_OVER=openssh measures rsync over its own OpenSSH connection
// instead of the worker's pool; its master connections are closed before each
// of phased's deploys, as 60 s of ControlPersist would have closed them
// between real deploys minutes apart.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../../activities/hosts.js';

import { benchFleet, holdBenchCluster, releaseFiles } from './shared.js';
import { ClusterStore } from '../../src/config/store.js';
import { projectRoot } from '../../src/paths.js';
import { parseBytesSent } from '../../src/transport/rsync.js';
import { closeTransports, installRuntime, realHostDeps } from '../../src/app/worker.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { Host } from '../../src/core/vocabulary.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    files: { type: 'string', default: '5000' },
    mib: { type: 'string', default: '50' },
    changed: { type: 'string', default: '0.01' },
    rounds: { type: 'string', default: '3' },
    /** Full copies onto fresh deploy roots, each tool in turn (the first is the rounds' basis). */
    'first-copies': { type: 'string', default: '3' },
    'fresh-mtimes': { type: 'boolean', default: false },
    out: { type: 'string', default: 'fleet' },
    /** Host counts for the scaling curve (a first copy and one delta deploy each), e.g. 5,10,20,40. */
    curve: { type: 'string', default: '' },
  },
});
const HOSTS = Number(values.hosts);
const FILES = Number(values.files);
const BYTES = Number(values.mib) * 2 ** 20;
const CHANGED = Number(values.changed);
const ROUNDS = Number(values.rounds);
const FIRST_COPIES = Math.max(1, Number(values['first-copies']));
const FRESH = values['fresh-mtimes'];
const CURVE = values.curve ? values.curve.split(',').map(Number) : [];
const SCRIPT = path.join(projectRoot, 'bench/fleet/plain-deploy.sh');
const run = promisify(execFile);

installRuntime('ERROR');

interface Measure {
  stageSeconds: number;
  bytesSent: number;
  flipSkewMs: number;
  flipSeconds: number;
  /** Files of the new release on the first host that are hard links (shared with the basis). */
  linkedFiles: number;
}

const { sizeOf, fileOf } = releaseFiles(FILES, BYTES);

function firstRelease(dir: string) {
  for (let i = 0; i < FILES; i++) {
    const f = path.join(dir, fileOf(i));
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, randomBytes(sizeOf(i)));
  }
}

/** A copy of `prev` with every (1/CHANGED)th file rewritten; with --fresh-mtimes every file gets a new mtime, as a clean rebuild would. */
function nextRelease(prev: string, next: string, round: number) {
  cpSync(prev, next, { recursive: true, preserveTimestamps: true });
  const step = Math.round(1 / CHANGED);
  for (let i = round % step; i < FILES; i += step)
    writeFileSync(path.join(next, fileOf(i)), randomBytes(sizeOf(i)));
  if (FRESH) {
    const now = new Date();
    for (let i = 0; i < FILES; i++) utimesSync(path.join(next, fileOf(i)), now, now);
  }
}

function skewMs(roots: string[]): number {
  // ctime: rename(2) sets it when current is switched (mtime is when the link was made).
  const t = roots.map((r) => lstatSync(path.join(r, 'current'), { bigint: true }).ctimeNs);
  const min = t.reduce((a, b) => (a < b ? a : b));
  const max = t.reduce((a, b) => (a > b ? a : b));
  return Number(max - min) / 1e6;
}

function linkedFiles(releaseDir: string): number {
  let n = 0;
  for (let i = 0; i < FILES; i++) if (statSync(path.join(releaseDir, fileOf(i))).nlink > 1) n++;
  return n;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-fleet-bench-'));
const clustersDir = path.join(dir, 'clusters');
const { fleet, user: USER, spec } = await benchFleet(Math.max(HOSTS, ...CURVE));
const started = Date.now();
try {
  /** The first n hosts, with their own phased and script deploy roots under `tag`. */
  function slice(n: number, tag: string) {
    const hosts = fleet.hosts.slice(0, n);
    const phasedHosts: Host[] = hosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      root: path.join(h.root, tag, 'phased'),
      tags: {},
    }));
    const scriptRoots = hosts.map((h) => path.join(h.root, tag, 'script'));
    // Both deploy roots exist, as on a prepared fleet (phased refuses a missing one).
    for (const r of [...scriptRoots, ...phasedHosts.map((h) => h.root)]) {
      mkdirSync(path.join(r, 'releases'), { recursive: true });
      execFileSync('chown', ['-R', USER, path.join(r, '..')]);
    }
    // What the worker holds for these hosts: deploys name it, the activities read it.
    const ref = holdBenchCluster(clustersDir, `bench-${tag}`, spec, phasedHosts);
    const hostsFile = path.join(dir, `hosts-${tag}.txt`);
    writeFileSync(
      hostsFile,
      hosts.map((h, i) => `${h.address} ${h.port} ${scriptRoots[i]}\n`).join(''),
    );
    return { phasedHosts, scriptRoots, hostsFile, ref };
  }
  /** Removes a slice's deploy roots once measured: a pile of millions of files would slow every later copy. */
  function drop(sl: ReturnType<typeof slice>) {
    for (const r of [...sl.scriptRoots, ...sl.phasedHosts.map((h) => h.root)])
      rmSync(r, { recursive: true, force: true });
  }
  const main = slice(HOSTS, 'main');
  const scriptEnv = {
    ...process.env,
    SSH_KEY: fleet.clientKey,
    KNOWN_HOSTS: fleet.knownHosts,
    DEPLOY_USER: USER,
  };

  const deps = realHostDeps(new ClusterStore(clustersDir));
  const activities = createHostActivities(deps);
  // The worker's shared transport for the spec (its ssh2 pool stays warm between deploys, as a worker's does).
  const shared = deps.transport(spec);
  const rsyncOver = shared instanceof SshTransport ? shared.rsyncOver : 'local';
  const env = new MockActivityEnvironment();
  /** Runs an activity function in an activity context, as a worker would. */
  const inActivity = <R>(fn: () => Promise<R>) => env.run<[], R, () => Promise<R>>(fn);

  async function phased(
    source: string,
    revision: string,
    { phasedHosts, ref } = main,
  ): Promise<Measure> {
    if (shared instanceof SshTransport) await shared.closeRsyncMasters();
    execFileSync('sync');
    const t0 = performance.now();
    const staged = await inActivity(() =>
      activities.stageHosts({ ref, hosts: phasedHosts, revision, source }),
    );
    const stageSeconds = (performance.now() - t0) / 1000;
    if (staged.failed.length > 0) throw new Error(JSON.stringify(staged.failed));
    const t1 = performance.now();
    const flipped = await inActivity(() =>
      activities.flipHosts({
        ref,
        targets: phasedHosts.map((host) => ({ host, revision })),
      }),
    );
    const flipSeconds = (performance.now() - t1) / 1000;
    if (flipped.failed.length > 0) throw new Error(JSON.stringify(flipped.failed));
    return {
      stageSeconds,
      bytesSent: staged.ok.reduce((s, o) => s + (o.result.bytesSent ?? 0), 0),
      flipSkewMs: skewMs(phasedHosts.map((h) => h.root)),
      flipSeconds,
      linkedFiles: linkedFiles(path.join(phasedHosts[0]!.root, 'releases', revision)),
    };
  }

  async function script(
    source: string,
    revision: string,
    previous: string,
    { hostsFile, scriptRoots } = main,
  ): Promise<Measure> {
    const stats = mkdtempSync(path.join(dir, 'stats-'));
    execFileSync('sync');
    const t0 = performance.now();
    await run(SCRIPT, ['stage', hostsFile, source, revision, previous, stats], { env: scriptEnv });
    const stageSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await run(SCRIPT, ['flip', hostsFile, revision], { env: scriptEnv });
    const flipSeconds = (performance.now() - t1) / 1000;
    const bytesSent = readdirSync(stats).reduce(
      (s, f) => s + (parseBytesSent(readFileSync(path.join(stats, f), 'utf8')) ?? NaN),
      0,
    );
    return {
      stageSeconds,
      bytesSent,
      flipSkewMs: skewMs(scriptRoots),
      flipSeconds,
      linkedFiles: linkedFiles(path.join(scriptRoots[0]!, 'releases', revision)),
    };
  }

  const source = (r: number) => path.join(dir, `r${r}`);
  mkdirSync(source(0));
  firstRelease(source(0));
  const first = {
    phased: await phased(source(0), 'r0'),
    script: await script(source(0), 'r0', ''),
  };
  // More full copies, each onto fresh roots, who goes first alternating; removed once measured.
  const firstCopies = [first];
  for (let k = 1; k < FIRST_COPIES; k++) {
    const fresh = slice(HOSTS, `first-${k}`);
    const pair =
      k % 2 === 1
        ? {
            script: await script(source(0), 'f0', '', fresh),
            phased: await phased(source(0), 'f0', fresh),
          }
        : {
            phased: await phased(source(0), 'f0', fresh),
            script: await script(source(0), 'f0', '', fresh),
          };
    firstCopies.push(pair);
    drop(fresh);
  }
  for (const c of firstCopies)
    console.log(
      `first copy: phased ${JSON.stringify(c.phased)} script ${JSON.stringify(c.script)}`,
    );
  const rounds: { round: number; phased: Measure; script: Measure }[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    nextRelease(source(r - 1), source(r), r);
    const rev = `r${r}`;
    const prev = `r${r - 1}`;
    let p: Measure;
    let s: Measure;
    if (r % 2 === 1) {
      p = await phased(source(r), rev);
      s = await script(source(r), rev, prev);
    } else {
      s = await script(source(r), rev, prev);
      p = await phased(source(r), rev);
    }
    rounds.push({ round: r, phased: p, script: s });
    console.log(`round ${r}: phased ${JSON.stringify(p)} script ${JSON.stringify(s)}`);
  }

  // The scaling curve: for each host count, a first copy and one delta deploy, each tool on its own roots.
  const curve: {
    hosts: number;
    phasedSeconds: number;
    scriptSeconds: number;
    fullCopy: { phasedSeconds: number; scriptSeconds: number };
    phasedBytesPerHost: number;
  }[] = [];
  for (const n of CURVE) {
    const hostsSlice = slice(n, `curve-${n}`);
    const fullP = await phased(source(0), 'c0', hostsSlice);
    const fullS = await script(source(0), 'c0', '', hostsSlice);
    const deltaP = await phased(source(1), 'c1', hostsSlice);
    const deltaS = await script(source(1), 'c1', 'c0', hostsSlice);
    curve.push({
      hosts: n,
      phasedSeconds: Number(deltaP.stageSeconds.toFixed(3)),
      scriptSeconds: Number(deltaS.stageSeconds.toFixed(3)),
      fullCopy: {
        phasedSeconds: Number(fullP.stageSeconds.toFixed(3)),
        scriptSeconds: Number(fullS.stageSeconds.toFixed(3)),
      },
      phasedBytesPerHost: Math.round(deltaP.bytesSent / n),
    });
    console.log(`curve ${n}: ${JSON.stringify(curve.at(-1))}`);
    drop(hostsSlice);
  }

  // One worker against two: the same delta deploy, staged by this process
  // alone, and split between this process and a second worker process.
  async function twoWorkers(): Promise<{ oneSeconds: number; twoSeconds: number }> {
    const one = slice(HOSTS, 'workers-1');
    const two = slice(HOSTS, 'workers-2');
    for (const sl of [one, two]) await phased(source(0), 'w0', sl);
    const oneSeconds = (await phased(source(1), 'w1', one)).stageSeconds;
    const half = Math.ceil(HOSTS / 2);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(projectRoot, 'bench/fleet/stage-worker.ts'),
        JSON.stringify({
          clustersDir,
          ref: two.ref,
          hosts: two.phasedHosts.slice(half),
          revision: 'w1',
          source: source(1),
        }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const out = createInterface({ input: child.stdout });
    const lines = out[Symbol.asyncIterator]();
    if ((await lines.next()).value !== 'ready') throw new Error('the second worker did not start');
    const t0 = performance.now();
    child.stdin.write('go\n');
    const [mine, theirs] = await Promise.all([
      inActivity(() =>
        activities.stageHosts({
          ref: two.ref,
          hosts: two.phasedHosts.slice(0, half),
          revision: 'w1',
          source: source(1),
        }),
      ),
      lines.next().then((r) => JSON.parse(String(r.value)) as { failed: number }),
    ]);
    const twoSeconds = (performance.now() - t0) / 1000;
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    if (mine.failed.length + theirs.failed > 0) throw new Error('two-worker staging failed');
    drop(one);
    drop(two);
    return { oneSeconds, twoSeconds };
  }
  const workers = await twoWorkers();
  console.log(`workers: ${JSON.stringify(workers)}`);

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const summary = (pick: (x: { phased: Measure; script: Measure }) => Measure) => ({
    stageSeconds: Number(median(rounds.map((x) => pick(x).stageSeconds)).toFixed(3)),
    bytesSent: median(rounds.map((x) => pick(x).bytesSent)),
    flipSkewMs: Number(median(rounds.map((x) => pick(x).flipSkewMs)).toFixed(1)),
  });
  const stageRatio = median(rounds.map((x) => x.phased.stageSeconds / x.script.stageSeconds));
  const command = `npx tsx bench/fleet/run.ts --hosts ${HOSTS} --files ${FILES} --mib ${values.mib} --changed ${CHANGED} --rounds ${ROUNDS}${FRESH ? ' --fresh-mtimes' : ''}${CURVE.length ? ` --curve ${CURVE.join(',')}` : ''}`;
  const result = {
    command,
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    hosts: HOSTS,
    files: FILES,
    bytes: BYTES,
    changedFraction: CHANGED,
    freshMtimes: FRESH,
    phased: summary((x) => x.phased),
    script: summary((x) => x.script),
    stageRatio: Number(stageRatio.toFixed(3)),
    fullCopyRatio: Number(
      median(firstCopies.map((c) => c.phased.stageSeconds / c.script.stageSeconds)).toFixed(3),
    ),
    rsyncOver,
    curve,
    workers1Seconds: Number(workers.oneSeconds.toFixed(3)),
    workers2Seconds: Number(workers.twoSeconds.toFixed(3)),
    firstDeploy: first,
    firstCopies,
    rounds,
    wallSeconds: Math.round((Date.now() - started) / 1000),
  };
  const out = path.join(projectRoot, 'bench/results');
  writeFileSync(path.join(out, `${values.out}.json`), JSON.stringify(result, null, 2) + '\n');
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const row = (name: string, m: Measure) =>
    `| ${name} | ${m.stageSeconds.toFixed(2)} s | ${mib(m.bytesSent)} | ${m.flipSeconds.toFixed(2)} s | ${m.flipSkewMs.toFixed(1)} ms | ${m.linkedFiles} |`;
  const md = [
    `# Fleet benchmark${FRESH ? ' (every mtime fresh, as after a clean rebuild)' : ''}`,
    '',
    `Command: \`${command}\`. Date: ${result.date}. Machine: ${result.machine}.`,
    '',
    `${HOSTS} loopback sshd hosts, reached as the deploy user \`${USER}\` (shell /bin/sh, no rc files); a release of ${FILES} files, ${mib(BYTES)}; each round deploys a new release with ${(CHANGED * 100).toFixed(0)}% of its files rewritten${FRESH ? ' and every mtime fresh' : ' (unchanged files keep their mtimes)'}. ` +
      'phased runs its real `stageHosts` and `flipHosts` activities (rsync with `--link-dest` and its quick check, then `--checksum` over the files the manifests say the quick check would miss; manifests and completion markers; ' +
      (rsyncOver === 'pool'
        ? "every step over one pooled ssh2 connection per host, kept between deploys as a worker keeps it, rsync's copies through the relay, except a host's first copy, a whole tree, which rsync makes over its own OpenSSH connection, AES-GCM first); "
        : "rsync over its own OpenSSH connection per host, logged in again at every deploy as 60 s of ControlPersist would between deploys minutes apart; the other steps over the worker's ssh2 pool); ") +
      'the script (`bench/fleet/plain-deploy.sh`) runs one `rsync -a --link-dest` per host in parallel, then flips in an `ssh` loop. ' +
      "Flip skew is the spread of the hosts' `current` symlink times (from the first host switched to the last).",
    '',
    '## Medians over the rounds',
    '',
    '| | stage time | bytes sent (all hosts) | flip skew |',
    '| --- | --- | --- | --- |',
    `| phased | ${result.phased.stageSeconds.toFixed(2)} s | ${mib(result.phased.bytesSent)} | ${result.phased.flipSkewMs.toFixed(1)} ms |`,
    `| script | ${result.script.stageSeconds.toFixed(2)} s | ${mib(result.script.bytesSent)} | ${result.script.flipSkewMs.toFixed(1)} ms |`,
    '',
    `Stage time, phased / script (median of the per-round ratios): **${stageRatio.toFixed(2)}x** (target at most 1.0x); ` +
      `on a first deploy (a full copy, median of ${firstCopies.length} onto fresh roots): **${result.fullCopyRatio.toFixed(2)}x** (target at most 1.1x). ` +
      `phased's flip skew across ${HOSTS} hosts: **${result.phased.flipSkewMs.toFixed(1)} ms** (target under 250 ms).`,
    '',
    '## Every round',
    '',
    '| round | who | stage time | bytes sent | flip time | flip skew | files hard-linked on host 1 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...firstCopies.flatMap((c, k) => [
      row(`${k === 0 ? 0 : `0.${k}`} | first deploy (full copy), phased`, c.phased),
      row(`${k === 0 ? 0 : `0.${k}`} | first deploy (full copy), script`, c.script),
    ]),
    ...rounds.flatMap((x) => [
      row(`${x.round} | phased`, x.phased),
      row(`${x.round} | script`, x.script),
    ]),
    '',
  ];
  if (curve.length >= 2) md.push(...curveSection(curve, first.phased.bytesSent / HOSTS));
  md.push(
    '## One worker or two',
    '',
    `The same delta deploy to ${HOSTS} hosts, staged by one worker, and split between two worker processes (each stages half the hosts with the real activity) on this same machine: **${workers.oneSeconds.toFixed(2)} s** with one, **${workers.twoSeconds.toFixed(2)} s** with two (workers2Seconds). The second worker starts cold (its own SSH connections to its hosts) and shares the same 2 CPUs with the first and with every host.`,
    '',
  );
  writeFileSync(path.join(out, `${values.out}.md`), md.join('\n'));
  console.log(md.join('\n'));
} finally {
  await closeTransports();
  await fleet.stopAll();
  rmSync(dir, { recursive: true, force: true });
}

/** Least squares: seconds = a + b * hosts. */
function fit(points: { x: number; y: number }[]) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const b =
    points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) /
    points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return { a: my - b * mx, b };
}

/** The scaling curve's table, its linear fits and a projection to 200 and 1,000 hosts. */
function curveSection(
  curve: {
    hosts: number;
    phasedSeconds: number;
    scriptSeconds: number;
    fullCopy: { phasedSeconds: number; scriptSeconds: number };
    phasedBytesPerHost: number;
  }[],
  fullBytesPerHost: number,
): string[] {
  const UPLINK = 125e6; // bytes per second: a 1 Gbit/s worker uplink
  const delta = fit(curve.map((c) => ({ x: c.hosts, y: c.phasedSeconds })));
  const full = fit(curve.map((c) => ({ x: c.hosts, y: c.fullCopy.phasedSeconds })));
  const deltaBytes = curve.at(-1)!.phasedBytesPerHost;
  const project = (n: number, f: { a: number; b: number }, bytesPerHost: number) => {
    const cpu = f.a + f.b * n;
    const wire = (n * bytesPerHost) / UPLINK;
    return `${Math.max(cpu, wire).toFixed(0)} s (compute ${cpu.toFixed(0)} s, uplink ${wire.toFixed(0)} s)`;
  };
  const crossover = (f: { a: number; b: number }, bytesPerHost: number) => {
    const perHostWire = bytesPerHost / UPLINK;
    return perHostWire > f.b ? Math.ceil(f.a / (perHostWire - f.b)) : null;
  };
  const fullCross = crossover(full, fullBytesPerHost);
  const deltaCross = crossover(delta, deltaBytes);
  return [
    '## Scaling curve',
    '',
    "Stage time against host count: a first deploy (a full copy) and one delta deploy (1% of files changed) per host count, phased first, each tool on its own deploy roots, one sample each. phased copies to at most 32 hosts at once per activity (a batch; the script starts every host's rsync at once), so at 40 hosts its last 8 copies start as the first ones end.",
    '',
    '| hosts | delta: phased | delta: script | ratio | first copy: phased | first copy: script | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...curve.map(
      (c) =>
        `| ${c.hosts} | ${c.phasedSeconds.toFixed(2)} s | ${c.scriptSeconds.toFixed(2)} s | ${(c.phasedSeconds / c.scriptSeconds).toFixed(2)}x | ${c.fullCopy.phasedSeconds.toFixed(2)} s | ${c.fullCopy.scriptSeconds.toFixed(2)} s | ${(c.fullCopy.phasedSeconds / c.fullCopy.scriptSeconds).toFixed(2)}x |`,
    ),
    '',
    `Linear fits of phased's stage time: delta ${delta.a.toFixed(2)} s + ${(delta.b * 1000).toFixed(0)} ms per host; first copy ${full.a.toFixed(2)} s + ${(full.b * 1000).toFixed(0)} ms per host. ` +
      "On this machine every host's sshd and rsync receiver runs on the worker's own 2 CPUs, so the per-host cost is the CPU of both ends of every copy (SSH encryption, rsync's file lists, hard links on the receiving disk): the curve is CPU-bound, not network-bound, and a real fleet, whose hosts bring their own CPUs, pays only the worker's side of it.",
    '',
    `Projection with a stated 1 Gbit/s worker uplink (125 MB/s), taking the larger of the fitted compute time and the bytes on the wire (${(deltaBytes / 2 ** 20).toFixed(2)} MiB per host for the delta, ${(fullBytesPerHost / 2 ** 20).toFixed(1)} MiB for a first copy):`,
    '',
    '| hosts | delta deploy | first copy |',
    '| --- | --- | --- |',
    `| 200 | ${project(200, delta, deltaBytes)} | ${project(200, full, fullBytesPerHost)} |`,
    `| 1000 | ${project(1000, delta, deltaBytes)} | ${project(1000, full, fullBytesPerHost)} |`,
    '',
    `Each host's bytes take ${((fullBytesPerHost / UPLINK) * 1000).toFixed(0)} ms of a 1 Gbit/s uplink for a first copy and ${((deltaBytes / UPLINK) * 1000).toFixed(0)} ms for a delta, against ${(full.b * 1000).toFixed(0)} and ${(delta.b * 1000).toFixed(0)} ms of fitted compute. ` +
      (fullCross === null && deltaCross === null
        ? "By these fits the uplink never becomes the limit here, because the compute measured includes the hosts' side of every copy; on a real fleet the hosts do their side themselves, so the worker's share per host is smaller and a first copy meets the uplink limit sooner. "
        : `The uplink becomes the limit from about ${fullCross ?? '(never)'} hosts for a first copy and ${deltaCross ?? '(never)'} for a delta deploy. `) +
      'Past either limit, more workers on other machines (each with its own uplink and CPUs, sharing the batches of one deploy) are how a fleet scales.',
    '',
  ];
}
