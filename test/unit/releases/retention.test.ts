import { describe, expect, it } from 'vitest';
import { releasesToRemove } from '../../../src/releases/retention.js';

const r = (revision: string, stagedAt: number) => ({ revision, stagedAt });

describe('releasesToRemove (invariant 3)', () => {
  const releases = [
    r('v1', 1),
    r('v2', 2),
    r('v3', 3),
    r('v4', 4),
    r('v5', 5),
    r('v6', 6),
    r('v7', 7),
  ];

  it('keeps the newest `keep` releases', () => {
    expect(releasesToRemove({ releases, keep: 5, protect: [] })).toEqual(['v2', 'v1']);
  });

  it('never removes the live release or the rollback target, however old', () => {
    const removed = releasesToRemove({ releases, keep: 3, protect: ['v1', 'v2'] });
    expect(removed).not.toContain('v1');
    expect(removed).not.toContain('v2');
    expect(removed).toEqual(['v6', 'v5', 'v4', 'v3']);
  });
});
