// Hosts that do not look like phased hosts, and sources that must not be
// shipped, on real directories with the real scripts: each is refused with
// the host and the fix named, and nothing live changes.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSource, treeChecksum } from '../../../src/releases/checksum.js';
import { rollbackTarget } from '../../../src/releases/host-state.js';
import { flipRelease, inspectHost, stageRelease, tidyHost } from '../../../src/releases/ops.js';
import { LocalTransport } from '../../../src/transport/local.js';
import type { Host } from '../../../src/core/vocabulary.js';
import { phasedError } from '../../helpers/errors.js';
import { testDir } from '../../helpers/tmp.js';

const t = new LocalTransport();

async function setup() {
  const dir = await testDir();
  const host: Host = { name: 'web-1', address: '127.0.0.1', root: path.join(dir, 'host') };
  mkdirSync(host.root);
  const build = (name: string, content = name) => {
    const src = path.join(dir, 'builds', name);
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'index.html'), content);
    return src;
  };
  const stage = async (revision: string, opts: { adopt?: boolean; createRoot?: boolean } = {}) => {
    const source = build(revision);
    return stageRelease(t, host, { revision, source, tree: await treeChecksum(source), ...opts });
  };
  const deploy = async (revision: string) => {
    await stage(revision);
    await flipRelease(t, host, revision);
  };
  const current = () => readlinkSync(path.join(host.root, 'current'));
  return { dir, host, build, stage, deploy, current };
}

describe('the switch log and rejected marks on a real host', () => {
  it('every flip is logged beside current; a rejected release is skipped by the rollback target', async () => {
    const { host, deploy, stage } = await setup();
    await deploy('v1');
    await deploy('v2');
    await stage('v3');
    // v3 goes live on this canary, then the deploy rolls it back and rejects it.
    await flipRelease(t, host, 'v3');
    await flipRelease(t, host, 'v2', { reject: { revision: 'v3', reason: 'canary regression' } });
    const log = readFileSync(path.join(host.root, 'switches.log'), 'utf8').trim().split('\n');
    expect(log.map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'releases/v1 -',
      'releases/v2 releases/v1',
      'releases/v3 releases/v2',
      'releases/v2 releases/v3',
    ]);
    expect(readFileSync(path.join(host.root, 'releases/.v3.rejected'), 'utf8')).toBe(
      'canary regression\n',
    );
    const state = await inspectHost(t, host);
    expect(state).toMatchObject({ current: 'v2', currentKind: 'release', rejected: ['v3'] });
    expect(rollbackTarget(state, host.root)).toEqual({ revision: 'v1' });
    // Accepting (it went live after all) clears the mark; removing a release removes its mark.
    await tidyHost(t, host, { remove: [], mark: { revision: 'v3', as: 'accept', reason: '' } });
    expect((await inspectHost(t, host)).rejected).toEqual([]);
    await tidyHost(t, host, {
      remove: ['v3'],
      mark: { revision: 'v3', as: 'reject', reason: 'x' },
    });
    expect(existsSync(path.join(host.root, 'releases/.v3.rejected'))).toBe(false);
    expect(existsSync(path.join(host.root, 'releases/v3'))).toBe(false);
  });

  it('a flip to the release already live writes nothing, but an explicit --to still clears its mark', async () => {
    const { host, deploy } = await setup();
    await deploy('v1');
    await tidyHost(t, host, { remove: [], mark: { revision: 'v1', as: 'reject', reason: 'x' } });
    const log = () => readFileSync(path.join(host.root, 'switches.log'), 'utf8');
    const before = log();
    expect(await flipRelease(t, host, 'v1', { accept: true })).toBe('v1');
    expect(log()).toBe(before);
    expect((await inspectHost(t, host)).rejected).toEqual([]);
  });

  it('the log keeps its last 100 switches', async () => {
    const { host, deploy } = await setup();
    await deploy('a');
    await deploy('b');
    for (let i = 0; i < 210; i++) await flipRelease(t, host, i % 2 ? 'b' : 'a');
    const lines = readFileSync(path.join(host.root, 'switches.log'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(100);
    expect(lines.length).toBeLessThanOrEqual(200);
  });

  it('the next inspection removes temporary links that interrupted flips left', async () => {
    const { host, deploy, current } = await setup();
    await deploy('v1');
    symlinkSync('releases/v1', path.join(host.root, '.current.4242.tmp'));
    symlinkSync('releases/v1', path.join(host.root, '.current.4343.tmp'));
    const state = await inspectHost(t, host);
    expect(state.strays.sort()).toEqual(['.current.4242.tmp', '.current.4343.tmp']);
    expect(existsSync(path.join(host.root, '.current.4242.tmp'))).toBe(false);
    expect(current()).toBe('releases/v1');
  });
});

describe('hosts that do not look like phased hosts are refused before anything switches', () => {
  it.each([
    [
      'current points outside releases/ (a hotfix directory)',
      (root: string) => {
        mkdirSync(path.join(root, 'hotfix'));
        symlinkSync(path.join(root, 'hotfix'), path.join(root, 'current'));
      },
      /current points outside releases\/, at .*\/hotfix; nothing was switched/,
      /set adopt: true/,
    ],
    [
      'current is a real directory',
      (root: string) => mkdirSync(path.join(root, 'current')),
      /current is a real directory or file, not a symlink/,
      /move .*\/current into .*\/releases\/<name>/,
    ],
    [
      'current points at a missing release',
      (root: string) => symlinkSync('releases/gone', path.join(root, 'current')),
      /current points at releases\/gone, which does not exist/,
      /set adopt: true/,
    ],
    [
      'current points at a release without its marker',
      (root: string) => {
        mkdirSync(path.join(root, 'releases/half'), { recursive: true });
        symlinkSync('releases/half', path.join(root, 'current'));
      },
      /current points at releases\/half, a release without its completion marker/,
      /set adopt: true/,
    ],
  ])('%s', async (_what, make, problem, fix) => {
    const { host, stage } = await setup();
    make(host.root);
    // Every path under the root with its type and link target.
    const snapshot = () =>
      execFileSync('find', [host.root, '-printf', '%P %y %l %s\\n'], { encoding: 'utf8' })
        .split('\n')
        .sort()
        .join('\n');
    const before = snapshot();
    const err = await phasedError(stage('v2'));
    expect(err).toMatchObject({ code: 'HOST_NOT_MANAGED', retryable: false });
    expect(err.problem).toMatch(/^web-1: /);
    expect(err.problem).toMatch(problem);
    expect(err.fix).toMatch(fix);
    expect(existsSync(path.join(host.root, 'releases/v2'))).toBe(false);
    expect(snapshot()).toBe(before);
  });

  it('adopt: true takes a hand-made symlink over and returns its link as the rollback target', async () => {
    const { host, stage, current } = await setup();
    mkdirSync(path.join(host.root, 'hotfix'));
    symlinkSync(path.join(host.root, 'hotfix'), path.join(host.root, 'current'));
    const staged = await stage('v2', { adopt: true });
    expect(staged.adoptedLink).toBe(path.join(host.root, 'hotfix'));
    await flipRelease(t, host, 'v2');
    // The deploy's compensation restores the old link exactly.
    await flipRelease(t, host, staged.adoptedLink!, {
      link: staged.adoptedLink!,
      reject: { revision: 'v2', reason: 'aborted' },
    });
    expect(current()).toBe(path.join(host.root, 'hotfix'));
    expect(readFileSync(path.join(host.root, 'releases/.v2.rejected'), 'utf8')).toBe('aborted\n');
  });

  it('adopt cannot take over a real directory (no atomic switch from it)', async () => {
    const { host, stage } = await setup();
    mkdirSync(path.join(host.root, 'current'));
    const err = await phasedError(stage('v2', { adopt: true }));
    expect(err.code).toBe('HOST_NOT_MANAGED');
  });

  it('a root that does not exist is refused, unless createRoot says to make it', async () => {
    const { host, build } = await setup();
    const missing: Host = { ...host, root: path.join(host.root, 'not-there') };
    const src = build('v1');
    const tree = await treeChecksum(src);
    const err = await phasedError(stageRelease(t, missing, { revision: 'v1', source: src, tree }));
    expect(err).toMatchObject({ code: 'ROOT_MISSING', retryable: false });
    expect(err.problem).toBe(`web-1: the deploy root ${missing.root} does not exist`);
    expect(err.fix).toContain('createRoot: true');
    expect(existsSync(missing.root)).toBe(false);
    await stageRelease(t, missing, { revision: 'v1', source: src, tree, createRoot: true });
    expect(existsSync(path.join(missing.root, 'releases/v1/index.html'))).toBe(true);
  });
});

describe('sources that must not be shipped', () => {
  it.each<[string, (src: string) => void, RegExp]>([
    ['an empty source', () => undefined, /is empty/],
    [
      'a symlink to an absolute path',
      (src) => {
        writeFileSync(path.join(src, 'index.html'), 'x');
        mkdirSync(path.join(src, 'static'));
        symlinkSync('/etc/shadow', path.join(src, 'static/leak'));
      },
      /symlinks that point outside it: static\/leak -> \/etc\/shadow/,
    ],
    [
      'a symlink climbing out of the tree',
      (src) => {
        writeFileSync(path.join(src, 'index.html'), 'x');
        symlinkSync('../../../../..', path.join(src, 'up'));
      },
      /symlinks that point outside it: up -> \.\.\/\.\.\/\.\.\/\.\.\/\.\./,
    ],
    [
      'a FIFO',
      (src) => {
        writeFileSync(path.join(src, 'index.html'), 'x');
        execFileSync('mkfifo', [path.join(src, 'pipe')]);
      },
      /not regular files, directories or symlinks .*: pipe/,
    ],
  ])('%s is refused', async (_what, make, problem) => {
    const dir = await testDir();
    const src = path.join(dir, 'src');
    mkdirSync(src);
    make(src);
    const err = await phasedError(treeChecksum(src));
    expect(err).toMatchObject({ code: 'SOURCE_INVALID', retryable: false });
    expect(err.problem).toMatch(problem);
  });

  it('links inside the tree are fine, and unsafeSymlinks: copy ships what an outside link points at', async () => {
    const dir = await testDir();
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'assets'), { recursive: true });
    writeFileSync(path.join(src, 'assets/app.js'), 'js');
    symlinkSync('assets/app.js', path.join(src, 'app.js'));
    symlinkSync('../assets', path.join(src, 'assets/self'));
    await expect(checkSource(src)).resolves.toEqual({ bytes: 2 }); // accepted: the one file's size

    writeFileSync(path.join(dir, 'outside.txt'), 'shared config');
    symlinkSync(path.join(dir, 'outside.txt'), path.join(src, 'config.txt'));
    await expect(checkSource(src)).rejects.toThrow(/point outside it/);
    const host: Host = { name: 'web-1', address: '127.0.0.1', root: path.join(dir, 'host') };
    mkdirSync(host.root);
    const tree = await treeChecksum(src, { copyUnsafeLinks: true });
    await stageRelease(t, host, { revision: 'v1', source: src, tree, copyUnsafeLinks: true });
    const shipped = path.join(host.root, 'releases/v1/config.txt');
    expect(readFileSync(shipped, 'utf8')).toBe('shared config');
    expect(execFileSync('stat', ['-c', '%F', shipped], { encoding: 'utf8' }).trim()).toBe(
      'regular file',
    );
  });
});
