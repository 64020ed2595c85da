// A plain rollback's plan: one release for the fleet, hosts that cannot go
// there named, never a mix nobody is told of.
import { describe, expect, it } from 'vitest';
import {
  mixedFleet,
  planPlainRollback,
  type RollbackView,
} from '../../../src/core/rollback-plan.js';

const host = (
  name: string,
  current: string | null,
  releases: string[],
  own: string | null,
  rejected: string[] = [],
): RollbackView => ({
  host: name,
  current,
  releases,
  rejected,
  rollback: own
    ? { revision: own }
    : { none: 'no release live here before the current one is retained and not rejected' },
});

describe('planPlainRollback', () => {
  it('takes every host to the release most hosts would go to, naming those whose own history differs', () => {
    const plan = planPlainRollback([
      host('web-1', 'v3', ['v3', 'v2', 'v1'], 'v2'),
      host('web-2', 'v3', ['v3', 'v2', 'v1'], 'v2'),
      host('web-3', 'v3', ['v3', 'v2', 'v1'], 'v1'),
    ]);
    expect(plan.target).toBe('v2');
    expect(plan.moves).toEqual([
      { host: 'web-1', from: 'v3', to: 'v2' },
      { host: 'web-2', from: 'v3', to: 'v2' },
      { host: 'web-3', from: 'v3', to: 'v2', ownTarget: 'v1' },
    ]);
    expect(mixedFleet(plan)).toBeNull();
  });

  it('leaves a host that keeps no such release (or rejected it) where it is, names it, and says the fleet is mixed', () => {
    const plan = planPlainRollback([
      host('web-1', 'v3', ['v3', 'v2'], 'v2'),
      host('web-2', 'v3', ['v3', 'v2'], 'v2'),
      host('web-8', 'v3', ['v3', 'v2'], null, ['v2']),
      host('web-9', 'v3', ['v3'], null),
      host('web-10', 'v2', ['v2'], null),
    ]);
    expect(plan.moves.map((m) => m.host)).toEqual(['web-1', 'web-2']);
    expect(plan.staying).toEqual(['web-10']);
    expect(plan.skipped).toEqual([
      { host: 'web-8', on: 'v3', why: 'v2 was rejected here' },
      { host: 'web-9', on: 'v3', why: 'keeps no v2 (it keeps v3)' },
    ]);
    expect(mixedFleet(plan)).toBe('the fleet is on v2 (3 host(s)) and v3 (web-8, web-9)');
  });

  it('a tie goes to the release more hosts keep; with nowhere to go, no target and every host named', () => {
    const tie = planPlainRollback([
      host('web-1', 'v3', ['v3', 'v2'], 'v2'),
      host('web-2', 'v3', ['v3', 'v1', 'v2'], 'v1'),
      host('web-3', 'v3', ['v3', 'v1'], null),
      host('web-4', 'v3', ['v3', 'v1'], null),
    ]);
    expect(tie.target).toBe('v1');
    expect(tie.skipped.map((x) => x.host)).toEqual(['web-1']);
    const none = planPlainRollback([host('web-1', 'v1', ['v1'], null)]);
    expect(none.target).toBeNull();
    expect(none.skipped).toEqual([
      {
        host: 'web-1',
        on: 'v1',
        why: 'no release live here before the current one is retained and not rejected',
      },
    ]);
  });
});
