// Reading a host's inspection and deciding from it: what current is, and
// where a plain rollback goes (back, never forward, never to a rejected build).
import { describe, expect, it } from 'vitest';
import {
  parseHostState,
  rollbackTarget,
  unmanagedCurrent,
  type HostState,
} from '../../../src/releases/host-state.js';

const ROOT = '/srv/web';

/** A host whose switch log went through `lived` (link targets), with these releases retained. */
function host(lived: string[], opts: { rejected?: string[]; retained?: string[] } = {}): HostState {
  const lines = [
    `link releases/${lived[lived.length - 1]}`,
    ...(opts.retained ?? [...new Set(lived)]).map((r, i) => `release ${r} ${100 + i} sum${i}`),
    ...(opts.rejected ?? []).map((r) => `rejected ${r}`),
    ...lived.slice(1).map((to, i) => `switch ${1000 + i} releases/${to} releases/${lived[i]}`),
  ];
  return parseHostState(lines.join('\n'), ROOT);
}

describe('parsing an inspection', () => {
  it('reads current, releases, rejections, switches and strays', () => {
    const s = parseHostState(
      [
        'link releases/v2',
        'release v1 100 aaa',
        'release v2 200 bbb',
        'rejected v3',
        'switch 1000 releases/v2 releases/v1',
        'switch 1001 releases/v1 /srv/hot fix',
        'stray .current.42.tmp',
        'free 1234',
      ].join('\n'),
      ROOT,
    );
    expect(s).toMatchObject({
      current: 'v2',
      currentKind: 'release',
      currentLink: 'releases/v2',
      rejected: ['v3'],
      strays: ['.current.42.tmp'],
      freeKiB: 1234,
      rootExists: true,
    });
    expect(s.releases.map((r) => r.revision)).toEqual(['v1', 'v2']);
    expect(s.switches[1]).toEqual({ at: 1001, to: 'releases/v1', from: '/srv/hot fix' });
  });

  it.each([
    ['', 'none', null],
    ['link releases/v1\nrelease v1 1 a', 'release', 'v1'],
    [`link ${ROOT}/releases/v1\nrelease v1 1 a`, 'release', 'v1'],
    ['link releases/v9\nrelease v1 1 a', 'incomplete', null],
    ['link releases/v9\ndangling', 'missing', null],
    ['link /srv/hotfix', 'foreign', null],
    ['link ../elsewhere/v1', 'foreign', null],
    ['notlink', 'not_symlink', null],
  ])('current from %j is %s', (out, kind, current) => {
    const s = parseHostState(out, ROOT);
    expect(s.currentKind).toBe(kind);
    expect(s.current).toBe(current);
    expect(unmanagedCurrent(s) === null).toBe(kind === 'none' || kind === 'release');
  });
});

describe('where a plain rollback goes', () => {
  it('to the release live before the current one', () => {
    expect(rollbackTarget(host(['v1', 'v2']), ROOT)).toEqual({ revision: 'v1' });
  });

  it('after a rolled-back deploy: back past the rejected build, never forward onto it', () => {
    // v1 -> v2 (done) -> v3 on a canary, rolled back to v2 and marked rejected.
    const s = host(['v1', 'v2', 'v3', 'v2'], { rejected: ['v3'] });
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v1' });
  });

  it('a host that only staged the rejected build (no switch to it) also goes back', () => {
    const s = host(['v1', 'v2'], { rejected: ['v3'], retained: ['v1', 'v2', 'v3'] });
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v1' });
  });

  it('two plain rollbacks in a row go further back, not forth', () => {
    // v0 -> v1 -> v2, rollback to v1 (v2 rejected), then again.
    const s = host(['v0', 'v1', 'v2', 'v1'], { rejected: ['v2'] });
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v0' });
  });

  it('skips releases no longer retained, and says so when nothing is left', () => {
    expect(rollbackTarget(host(['v0', 'v1', 'v2'], { retained: ['v0', 'v2'] }), ROOT)).toEqual({
      revision: 'v0',
    });
    expect(rollbackTarget(host(['v1', 'v2'], { retained: ['v2'] }), ROOT)).toHaveProperty('none');
    expect(rollbackTarget(host(['v1', 'v2', 'v1'], { rejected: ['v2'] }), ROOT)).toHaveProperty(
      'none',
    );
  });

  it('after a redeploy of a fixed build, the rejected one stays skipped', () => {
    // v1 -> v2 -> v1 (v2 rejected) -> v3 (done): rollback goes to v1.
    const s = host(['v1', 'v2', 'v1', 'v3'], { rejected: ['v2'] });
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v1' });
  });

  it('a switch the log missed (crash between rename and append) still goes back', () => {
    const s = parseHostState(
      [
        'link releases/v3',
        'release v1 1 a',
        'release v2 2 b',
        'release v3 3 c',
        'switch 10 releases/v2 releases/v1',
      ].join('\n'),
      ROOT,
    );
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v2' });
  });

  it('without a switch log: the newest release staged before the live one, never a newer one', () => {
    const s = parseHostState(
      ['link releases/v2', 'release v1 100 a', 'release v2 200 b', 'release v3 300 c'].join('\n'),
      ROOT,
    );
    expect(rollbackTarget(s, ROOT)).toEqual({ revision: 'v1' });
  });
});
