// Release operations on real directories through the local transport: real
// rsync, real symlinks, the same scripts the SSH transport runs.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedTreeChecksum, treeChecksum } from '../../../src/releases/checksum.js';
import { manifestLines, manifestText, parseManifest } from '../../../src/releases/manifest.js';
import {
  flipRelease,
  forgetKnownManifests,
  flipTogether,
  inspectHost,
  removeReleases,
  stageRelease,
} from '../../../src/releases/ops.js';
import { ARMED_FLIP, PREPARE, script } from '../../../src/releases/scripts.js';
import { parseHostState } from '../../../src/releases/host-state.js';
import { LocalTransport } from '../../../src/transport/local.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { phasedError } from '../../helpers/errors.js';
import { testDir } from '../../helpers/tmp.js';

const t = new LocalTransport();

async function setup() {
  const dir = await testDir();
  const host: Host = { name: 'web-1', address: '127.0.0.1', root: path.join(dir, 'host') };
  mkdirSync(host.root);
  const build = (name: string, files: Record<string, string>) => {
    const src = path.join(dir, name);
    mkdirSync(src, { recursive: true });
    for (const [f, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      writeFileSync(path.join(src, f), content);
    }
    return src;
  };
  const stage = async (revision: string, source: string) =>
    stageRelease(t, host, { revision, source, tree: await treeChecksum(source) });
  return { dir, host, build, stage };
}

describe('staging and flipping on a real directory', () => {
  it('stages without touching current, then flips atomically and idempotently', async () => {
    const { host, build, stage } = await setup();
    const v1 = build('v1', { 'index.html': 'one', 'lib/big.js': 'x'.repeat(10_000) });
    // A whole-second mtime, as a reproducible build gives its files: a copied
    // Date keeps only milliseconds of a nanosecond mtime, and rsync compares
    // more than that, so the copy below would differ now and then.
    const fixed = new Date(1_700_000_000_000);
    utimesSync(path.join(v1, 'lib/big.js'), fixed, fixed);
    const first = await stage('v1', v1);
    expect(first).toMatchObject({ alreadyStaged: false, basis: null, current: null });
    expect(existsSync(path.join(host.root, 'current'))).toBe(false);
    expect(readFileSync(path.join(host.root, 'releases/v1/index.html'), 'utf8')).toBe('one');

    expect(await flipRelease(t, host, 'v1')).toBeNull();
    expect(readlinkSync(path.join(host.root, 'current'))).toBe('releases/v1');
    expect(await flipRelease(t, host, 'v1')).toBe('v1'); // flipping to the live release succeeds

    // The next release uses v1 as rsync's basis: unchanged files are hard links.
    // rsync links only files whose preserved attributes match too, mtime
    // included, so the unchanged file keeps its mtime as a reproducible build
    // would (without this the test depended on both builds landing in the
    // same second).
    const v2 = build('v2', { 'index.html': 'two', 'lib/big.js': 'x'.repeat(10_000) });
    utimesSync(path.join(v2, 'lib/big.js'), fixed, fixed);
    // Another worker stages v2: it reads v1's manifest from the host.
    forgetKnownManifests();
    const second = await stage('v2', v2);
    expect(second).toMatchObject({ alreadyStaged: false, basis: 'v1', current: 'v1' });
    const ino = (rev: string) => statSync(path.join(host.root, `releases/${rev}/lib/big.js`)).ino;
    expect(ino('v2')).toBe(ino('v1'));
    expect((await stage('v2', v2)).alreadyStaged).toBe(true);

    expect(await flipRelease(t, host, 'v2')).toBe('v1');
    expect(await inspectHost(t, host)).toMatchObject({ current: 'v2' });
    expect((await inspectHost(t, host)).releases.map((r) => r.revision).sort()).toEqual([
      'v1',
      'v2',
    ]);
  });

  it('sends a changed file even when its size and mtime equal the basis copy (reproducible builds)', async () => {
    const { host, build, stage } = await setup();
    const v1 = build('v1', { 'release.json': '"v1"' });
    const v2 = build('v2', { 'release.json': '"v2"' });
    const fixed = new Date('2020-01-01T00:00:00Z');
    for (const src of [v1, v2]) utimesSync(path.join(src, 'release.json'), fixed, fixed);
    await stage('v1', v1);
    await flipRelease(t, host, 'v1');
    await stage('v2', v2);
    expect(readFileSync(path.join(host.root, 'releases/v2/release.json'), 'utf8')).toBe('"v2"');
  });

  it('compares by content only the files whose size and mtime match the basis but whose hash does not (staging by manifest)', async () => {
    const { host, build, stage } = await setup();
    const fixed = new Date('2020-01-01T00:00:00Z');
    const files = (rev: string) => ({
      'release.json': `"${rev}"`, // rebuilt: same size, same mtime, new content
      'lib/a.js': 'a'.repeat(5_000), // unchanged
      'lib/b.js': 'b'.repeat(5_000), // unchanged
      [`notes-${rev}.txt`]: rev, // new
    });
    const v1 = build('v1', files('v1'));
    const v2 = build('v2', files('v2'));
    for (const src of [v1, v2])
      for (const f of ['release.json', 'lib/a.js', 'lib/b.js'])
        utimesSync(path.join(src, f), fixed, fixed);
    expect(await stage('v1', v1)).toMatchObject({ basis: null, rechecked: 0 });
    // The manifest lies beside the marker: one entry per file, with its hash.
    const manifestOf = (rev: string) =>
      parseManifest(readFileSync(path.join(host.root, `releases/.${rev}.manifest`), 'utf8'))!;
    expect(manifestOf('v1').map((f) => f.p)).toEqual([
      'lib/a.js',
      'lib/b.js',
      'notes-v1.txt',
      'release.json',
    ]);
    // Another worker stages v2: it reads v1's manifest from the host.
    forgetKnownManifests();
    const second = await stage('v2', v2);
    // Only release.json was compared by content; the rest took rsync's quick check.
    expect(second).toMatchObject({ basis: 'v1', rechecked: 1 });
    // v2's manifest, sent as a delta from v1's and rebuilt on the host, is v2's own.
    expect(manifestOf('v2')).toEqual(
      parseManifest(manifestText(manifestLines((await treeChecksum(v2)).manifest!))),
    );
    const at = (rev: string, f: string) => path.join(host.root, 'releases', rev, f);
    expect(readFileSync(at('v2', 'release.json'), 'utf8')).toBe('"v2"');
    expect(readFileSync(at('v1', 'release.json'), 'utf8')).toBe('"v1"'); // the basis is untouched
    expect(statSync(at('v2', 'release.json')).ino).not.toBe(statSync(at('v1', 'release.json')).ino);
    for (const f of ['lib/a.js', 'lib/b.js'])
      expect(statSync(at('v2', f)).ino).toBe(statSync(at('v1', f)).ino);
    expect(existsSync(at('v2', 'notes-v1.txt'))).toBe(false);

    // A basis staged before manifests: every file is compared by content, as before.
    rmSync(path.join(host.root, 'releases/.v2.manifest'));
    // The basis is the newest complete release (markers' mtimes, whole seconds): v2, not v1.
    const earlier = new Date(Date.now() - 60_000);
    utimesSync(path.join(host.root, 'releases/.v1.phased'), earlier, earlier);
    const v3 = build('v3', files('v3'));
    for (const f of ['release.json', 'lib/a.js', 'lib/b.js'])
      utimesSync(path.join(v3, f), fixed, fixed);
    expect(await stage('v3', v3)).toMatchObject({ basis: 'v2', rechecked: null });
    expect(readFileSync(at('v3', 'release.json'), 'utf8')).toBe('"v3"');
    expect(statSync(at('v3', 'lib/a.js')).ino).toBe(statSync(at('v1', 'lib/a.js')).ino);
  });

  it("records the manifest's digest in the marker, which the staging inspection reports as it is (and hashes the manifest of an older phased's marker)", async () => {
    const { host, build, stage } = await setup();
    const v1 = build('v1', { 'index.html': 'one', 'lib/app.js': 'app' });
    await stage('v1', v1);
    const { checksum } = await treeChecksum(v1);
    const file = (name: string) => path.join(host.root, 'releases', name);
    const digest = createHash('sha256')
      .update(readFileSync(file('.v1.manifest')))
      .digest('hex');
    expect(readFileSync(file('.v1.phased'), 'utf8')).toBe(`v1 ${checksum} ${digest}\n`);
    const prepare = async () =>
      parseHostState(
        (await t.exec(host, script(PREPARE, 'prepare', host.root, '0', '0'))).stdout,
        host.root,
      );
    expect(await prepare()).toMatchObject({
      releases: [{ revision: 'v1', checksum }],
      manifests: { v1: digest },
    });
    // The digest is the marker's word, written when the manifest was checked: not re-hashed.
    writeFileSync(file('.v1.phased'), `v1 ${checksum} ${'0'.repeat(64)}\n`);
    expect((await prepare()).manifests).toEqual({ v1: '0'.repeat(64) });
    // A marker of the phased before digests ("<revision> <checksum>"): its manifest is hashed.
    writeFileSync(file('.v1.phased'), `v1 ${checksum}\n`);
    expect(await prepare()).toMatchObject({
      releases: [{ revision: 'v1', checksum }],
      manifests: { v1: digest },
    });
    expect((await inspectHost(t, host)).releases).toMatchObject([{ revision: 'v1', checksum }]);
  });

  it('never flips to a release without its completion marker (invariant 4 precondition)', async () => {
    const { host, build, stage } = await setup();
    await stage('v1', build('v1', { 'index.html': 'one' }));
    await flipRelease(t, host, 'v1');
    mkdirSync(path.join(host.root, 'releases/half'), { recursive: true }); // an interrupted copy
    const err = await phasedError(flipRelease(t, host, 'half'));
    expect(err.code).toBe('RELEASE_INCOMPLETE');
    expect(err.problem).toBe(
      'web-1: release half is not completely staged on this host (no completion marker)',
    );
    expect(err.retryable).toBe(false);
    expect(readlinkSync(path.join(host.root, 'current'))).toBe('releases/v1');
  });

  it('keeps current pointing at a complete tree while it is flipped over and over (invariant 4)', async () => {
    const { host, build, stage } = await setup();
    await stage('a', build('a', { 'index.html': 'A' }));
    await stage('b', build('b', { 'index.html': 'B' }));
    await flipRelease(t, host, 'a');
    const page = path.join(host.root, 'current/index.html');
    let reads = 0;
    let failures = 0;
    let flipping = true;
    const reader = (async () => {
      while (flipping) {
        try {
          expect(['A', 'B']).toContain(readFileSync(page, 'utf8'));
        } catch {
          failures++;
        }
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 100; i++) await flipRelease(t, host, i % 2 ? 'a' : 'b');
    flipping = false;
    await reader;
    expect(reads).toBeGreaterThan(100);
    expect(failures).toBe(0);
  });

  it('refuses to overwrite the live release with different content under the same revision', async () => {
    const { host, build, stage } = await setup();
    await stage('v1', build('v1', { 'index.html': 'one' }));
    await flipRelease(t, host, 'v1');
    const err = await phasedError(stage('v1', build('v1-other', { 'index.html': 'changed' })));
    expect(err.code).toBe('RELEASE_CONFLICT');
    expect(err.fix).toContain('revisions are immutable');
    expect(readFileSync(path.join(host.root, 'current/index.html'), 'utf8')).toBe('one');
    // The live release keeps its completion marker, so it stays a rollback target.
    expect((await inspectHost(t, host)).releases.map((r) => r.revision)).toEqual(['v1']);
    expect(await flipRelease(t, host, 'v1')).toBe('v1');
  });

  it('refuses to write into the rollback target (a complete release) under the same revision', async () => {
    const { host, build, stage } = await setup();
    await stage('v1', build('v1', { 'index.html': 'one' }));
    await flipRelease(t, host, 'v1');
    await stage('v2', build('v2', { 'index.html': 'two' }));
    await flipRelease(t, host, 'v2');
    const err = await phasedError(stage('v1', build('v1-rebuilt', { 'index.html': 'other' })));
    expect(err.code).toBe('RELEASE_CONFLICT');
    expect(err.problem).toMatch(/^web-1: revision v1 is staged here with different content/);
    expect(readFileSync(path.join(host.root, 'releases/v1/index.html'), 'utf8')).toBe('one');
    expect(await flipRelease(t, host, 'v1')).toBe('v2'); // still a complete rollback target
  });

  it('removes old releases but refuses the live one, and ignores trees phased did not create', async () => {
    const { host, build, stage } = await setup();
    for (const rev of ['v1', 'v2', 'v3']) await stage(rev, build(rev, { 'index.html': rev }));
    await flipRelease(t, host, 'v3');
    mkdirSync(path.join(host.root, 'releases/handmade'));
    await removeReleases(t, host, ['v1', 'handmade']);
    expect(existsSync(path.join(host.root, 'releases/v1'))).toBe(false);
    expect(existsSync(path.join(host.root, 'releases/handmade'))).toBe(true);
    const err = await phasedError(removeReleases(t, host, ['v3']));
    expect(err.problem).toContain('refusing to delete the live release v3');
    expect(existsSync(path.join(host.root, 'releases/v3/index.html'))).toBe(true);
  });

  it.each(['x;touch pwned', '$(id)', '../../etc', '-rf', 'a b', ''])(
    'rejects the hostile revision %j before running anything',
    async (revision) => {
      const { dir, host, build } = await setup();
      const src = build('v1', { 'index.html': 'one' });
      const err = await phasedError(
        stageRelease(t, host, { revision, source: src, tree: await treeChecksum(src) }),
      );
      expect(err.code).toBe('REVISION_INVALID');
      expect((await phasedError(flipRelease(t, host, revision))).code).toBe('REVISION_INVALID');
      expect(existsSync(path.join(host.root, 'releases'))).toBe(false);
      expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    },
  );

  it('names a missing source directory', async () => {
    const { dir } = await setup();
    const err = await phasedError(cachedTreeChecksum()(path.join(dir, 'no-build')));
    expect(err.code).toBe('SOURCE_MISSING');
    expect(err.fix).toContain('--source');
  });
});

describe('flipping many hosts together (armed, then fired)', () => {
  async function fleetOf(n: number) {
    const dir = await testDir();
    const src = path.join(dir, 'build');
    mkdirSync(src);
    writeFileSync(path.join(src, 'index.html'), 'v2');
    const tree = await treeChecksum(src);
    const hosts: Host[] = Array.from({ length: n }, (_, i) => ({
      name: `web-${i + 1}`,
      address: '127.0.0.1',
      root: path.join(dir, `host-${i + 1}`),
    }));
    for (const h of hosts) {
      mkdirSync(h.root);
      await stageRelease(t, h, { revision: 'v1', source: src, tree });
      await flipRelease(t, h, 'v1');
    }
    return { hosts, src, tree };
  }

  const leftovers = (h: Host) =>
    readdirSync(h.root).filter((f) => f.startsWith('.current.') && f.endsWith('.tmp'));

  it('switches every staged host, reports the one without the release, and leaves no temporary links', async () => {
    const { hosts, src, tree } = await fleetOf(4);
    for (const h of hosts.slice(0, 3))
      await stageRelease(t, h, { revision: 'v2', source: src, tree });
    const outcomes = await flipTogether(
      t,
      hosts.map((host) => ({ host, revision: 'v2' })),
    );
    for (const h of hosts.slice(0, 3)) {
      expect(outcomes.get(h.name)).toEqual({ previous: 'v1' });
      expect(readlinkSync(path.join(h.root, 'current'))).toBe('releases/v2');
    }
    const missing = outcomes.get('web-4');
    expect(missing && 'error' in missing && missing.error.code).toBe('RELEASE_INCOMPLETE');
    expect(readlinkSync(path.join(hosts[3]!.root, 'current'))).toBe('releases/v1');
    for (const h of hosts) expect(leftovers(h)).toEqual([]);
  });

  it('an armed host that never gets "go" exits without switching and removes its temporary link', async () => {
    const { hosts, src, tree } = await fleetOf(1);
    const h = hosts[0]!;
    await stageRelease(t, h, { revision: 'v2', source: src, tree });
    const proc = await t.start(h, script(ARMED_FLIP, 'flip', h.root, 'v2'));
    await proc.waitForLine('armed', 10_000);
    expect(leftovers(h)).toHaveLength(1); // the new link waits under its temporary name
    proc.end();
    expect((await proc.done).code).toBe(4);
    expect(readlinkSync(path.join(h.root, 'current'))).toBe('releases/v1');
    expect(leftovers(h)).toEqual([]);
  });
});
