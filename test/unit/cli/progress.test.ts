// The block deploy --wait redraws on a terminal.
import { describe, expect, it } from 'vitest';
import { progressBlock, statusLine } from '../../../src/app/cli/format.js';
import type { DeployStatus } from '../../../workflows/model.js';

const status = (over: Partial<DeployStatus> = {}): DeployStatus => ({
  cluster: 'web',
  revision: 'v2',
  phase: 'canary',
  paused: false,
  pausedReason: null,
  hostCounts: { switched: 2, staged: 6 },
  hostsByState: {},
  canaries: ['web-1', 'web-2'],
  lastVerdict: null,
  verdicts: [],
  actions: [],
  timings: { canary: 1_000_000 },
  outcome: null,
  ...over,
});

describe('deploy --wait progress', () => {
  it('shows the phase, how long it has run and what is left of the soak, and hosts out of the fleet', () => {
    expect(
      progressBlock(status(), 1_042_000, { soak: 60_000, watch: 300_000 }).split('\n'),
    ).toEqual(['web <- v2: canary 0:42, 0:18 left', '  hosts (8): 2 switched, 6 staged']);
  });

  it('shows the watch and the last verdict, and no countdown while paused or when durations are unknown', () => {
    const watching = status({
      phase: 'watching',
      timings: { watching: 0 },
      lastVerdict: {
        phase: 'watch',
        look: 3,
        at: 0,
        verdict: 'pass',
        reason: 'every metric within tolerance',
        metrics: [],
      },
    });
    expect(progressBlock(watching, 90_000, { soak: 60_000, watch: 300_000 }).split('\n')).toEqual([
      'web <- v2: watching 1:30, 3:30 left',
      '  hosts (8): 2 switched, 6 staged',
      '  last verdict (watch look 3): pass: every metric within tolerance',
    ]);
    expect(progressBlock(watching, 90_000).split('\n')[0]).toBe('web <- v2: watching 1:30');
    const paused = status({ paused: true, pausedReason: 'looking at graphs' });
    expect(progressBlock(paused, 1_010_000, { soak: 60_000, watch: 1 }).split('\n')[0]).toBe(
      'web <- v2: canary 0:10 PAUSED (looking at graphs)',
    );
    // Time spent paused earlier in the soak does not count against it.
    expect(
      progressBlock(status({ pausedInPhaseMs: 40_000 }), 1_050_000, {
        soak: 60_000,
        watch: 1,
      }).split('\n')[0],
    ).toBe('web <- v2: canary 0:50, 0:50 left');
    // How long it has waited, when the deploy says since when.
    const waiting = status({ paused: true, pausedReason: 'inconclusive', pausedSince: 830_000 });
    expect(progressBlock(waiting, 1_010_000).split('\n')[0]).toBe(
      'web <- v2: canary 0:10 PAUSED 3:00 (inconclusive)',
    );
    expect(statusLine({ ...waiting, pausedSince: Date.now() - 12 * 60_000 })).toMatch(
      /^web <- v2: canary PAUSED for 12m \(inconclusive\) \[/,
    );
  });
});
