// The deploy's compensation worked out without a server: where each switched
// host goes back to, and how a stop reads.
import { describe as suite, expect, it } from 'vitest';
import {
  describe,
  rollbackTargets,
  Stop,
  stoppedBy,
  whyBroken,
} from '../../../workflows/compensation.js';

const host = (name: string) => ({ name, address: '127.0.0.1', root: `/srv/${name}`, tags: {} });
const reject = { revision: 'v2', reason: 'canary regression' };

suite('compensation', () => {
  it('goes back last switched first: previous releases, adopted links, and hosts with nothing to return to', () => {
    const { targets, nothingToReturnTo } = rollbackTargets(
      [host('a'), host('b'), host('c')],
      new Map([
        ['a', 'v1'],
        ['b', null],
        ['c', 'v0'],
      ]),
      new Map([['b', '/opt/hand-made']]),
      reject,
    );
    expect(targets).toEqual([
      { host: host('c'), revision: 'v0', reject },
      { host: host('b'), revision: '/opt/hand-made', link: '/opt/hand-made', reject },
      { host: host('a'), revision: 'v1', reject },
    ]);
    expect(nothingToReturnTo).toEqual([]);
    expect(
      rollbackTargets([host('first')], new Map([['first', null]]), new Map(), reject)
        .nothingToReturnTo,
    ).toEqual(['first']);
  });

  it('reads a Stop as its outcome and message, anything else as rolled back with its cause', () => {
    const stop = new Stop('failed', 'staging failed on 2 host(s)');
    expect(stoppedBy(stop)).toBe('failed');
    expect(describe(stop)).toBe('staging failed on 2 host(s)');
    const err = new Error('activity failed', { cause: new Error('disk full') });
    expect(stoppedBy(err)).toBe('rolled_back');
    expect(describe(err)).toBe('activity failed: disk full');
  });

  it('names what broke a host that should be live', () => {
    const live = {
      current: 'v2',
      currentKind: 'release' as const,
      currentLink: 'releases/v2',
      removed: [],
    };
    expect(whyBroken(live, 'v2')).toBeNull();
    expect(whyBroken(undefined, 'v2')).toBe('could not be checked');
    expect(whyBroken({ error: 'connection refused [HOST_UNREACHABLE]' }, 'v2')).toBe(
      'connection refused [HOST_UNREACHABLE]',
    );
    expect(
      whyBroken({ ...live, current: null, currentKind: 'none', currentLink: null }, 'v2'),
    ).toBe('has no current (deploy root removed?)');
    expect(whyBroken({ ...live, current: null, currentLink: '/srv/a/hotfix' }, 'v2')).toBe(
      'current is /srv/a/hotfix, not releases/v2',
    );
  });
});
