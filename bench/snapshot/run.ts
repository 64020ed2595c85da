// What "what goes live is what was hashed" costs the worker per deploy:
// before, staging hashed the source in place (and its batches reused that
// hash from the worker's cache); now it copies the source into a private
// snapshot (rsync -a) and hashes the snapshot. Timed on the fleet
// benchmark's release shape (5,000 files, 50 MiB), each variant ROUNDS times
// interleaved in one run, page cache warm (a build that was just written);
// the table gives medians and the ratio to hashing in place.
//
//   npx tsx bench/snapshot/run.ts [--files 5000] [--mib 50]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { sourceSnapshots } from '../../src/releases/snapshot.js';
import { releaseFiles } from '../fleet/shared.js';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '5000' }, mib: { type: 'string', default: '50' } },
});
const FILES = Number(values.files);
const BYTES = Number(values.mib) * 2 ** 20;
const ROUNDS = 7;

const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-snapshot-bench-'));
try {
  const source = path.join(dir, 'build');
  const { sizeOf, fileOf } = releaseFiles(FILES, BYTES);
  for (let i = 0; i < FILES; i++) {
    const f = path.join(source, fileOf(i));
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, randomBytes(sizeOf(i)));
  }
  const snapshots = sourceSnapshots(path.join(dir, 'snapshots'));
  const times = {
    hashInPlace: [] as number[],
    snapshot: [] as number[],
    hashSnapshot: [] as number[],
  };
  const checksums = new Set<string>();
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    checksums.add((await treeChecksum(source)).checksum);
    times.hashInPlace.push(performance.now() - t);
    t = performance.now();
    const snap = await snapshots.take(source, { key: `round-${r}` });
    times.snapshot.push(performance.now() - t);
    t = performance.now();
    checksums.add((await treeChecksum(snap)).checksum);
    times.hashSnapshot.push(performance.now() - t);
  }
  snapshots.removeAll();
  if (checksums.size !== 1) throw new Error('the snapshot does not hash like its source');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const before = median(times.hashInPlace);
  const snap = median(times.snapshot);
  const after = snap + median(times.hashSnapshot);
  const rows = [
    ['hash the source in place (before)', before, 1],
    ['copy it to a snapshot (rsync -a)', snap, snap / before],
    ['snapshot, then hash the snapshot (now)', after, after / before],
  ] as const;
  const cpus = os.cpus();
  const md = [
    '# Source snapshots: what a deploy costs the worker',
    '',
    `\`npx tsx bench/snapshot/run.ts --files ${FILES} --mib ${values.mib}\` on ${cpus.length} x ${cpus[0]?.model.trim()}, ${new Date().toISOString().slice(0, 10)}; ${FILES} files, ${values.mib} MiB, page cache warm, median of ${ROUNDS} interleaved rounds.`,
    '',
    '| step | median ms | ratio to hashing in place |',
    '| --- | ---: | ---: |',
    ...rows.map(([what, ms, ratio]) => `| ${what} | ${ms.toFixed(0)} | ${ratio.toFixed(2)}x |`),
    '',
    'Once per deploy and worker (the batches of a deploy on one worker share its snapshot). ' +
      "The snapshot costs one copy of the release on the worker's disk while the deploy stages (at most 4 kept).",
    '',
  ].join('\n');
  writeFileSync(path.join(projectRoot, 'bench/results/snapshot.md'), md);
  writeFileSync(
    path.join(projectRoot, 'bench/results/snapshot.json'),
    JSON.stringify({ files: FILES, bytes: BYTES, rounds: ROUNDS, times }, null, 2) + '\n',
  );
  console.log(md);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
