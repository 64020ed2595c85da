// Operator controls without a server: which commands apply in which state,
// and what each does to the control state.
import { describe, expect, it } from 'vitest';
import { applyCommand, refusal, type ControlState } from '../../../workflows/controls.js';

const running: ControlState = {
  phase: 'canary',
  paused: false,
  pausedReason: null,
  promoted: false,
  compensating: false,
  aborting: false,
};
const bob = { operator: 'bob', reason: 'checking the graphs' };

describe('operator controls', () => {
  it('needs a name and a reason for every command', () => {
    expect(refusal('pause', { operator: ' ', reason: 'x' }, running)).toBe(
      "pause needs the operator's name",
    );
    expect(refusal('abort', { operator: 'bob', reason: '' }, running)).toBe('abort needs a reason');
  });

  it('pauses, resumes and says why when it cannot', () => {
    const paused = applyCommand('pause', bob, running);
    expect(paused).toMatchObject({
      paused: true,
      pausedReason: 'paused by bob: checking the graphs',
    });
    expect(refusal('pause', bob, paused)).toBe('cannot pause: the deploy is already paused');
    expect(refusal('resume', bob, running)).toBe('cannot resume: the deploy is not paused');
    expect(applyCommand('resume', bob, paused)).toEqual(running);
  });

  it('promotes only where there is something to skip, or to answer a pause', () => {
    expect(refusal('promote', bob, { ...running, phase: 'staging' })).toBe(
      'cannot promote during staging: promote skips a soak or the watch, or answers an inconclusive verdict',
    );
    expect(
      refusal('promote', bob, { ...running, phase: 'baseline', paused: true }),
    ).toBeUndefined();
    for (const phase of ['canary', 'judging', 'switching', 'watching'] as const)
      expect(refusal('promote', bob, { ...running, phase })).toBeUndefined();
    const paused = applyCommand('pause', bob, running);
    expect(applyCommand('promote', bob, paused)).toEqual({ ...running, promoted: true });
  });

  it('aborts once, unpausing so the unwind can run', () => {
    const aborting = applyCommand('abort', bob, applyCommand('pause', bob, running));
    expect(aborting).toMatchObject({ paused: false, aborting: true });
    expect(refusal('abort', bob, aborting)).toBe('cannot abort: an abort is already under way');
  });

  it('refuses every command once the deploy ended or while it rolls back', () => {
    for (const command of ['pause', 'resume', 'abort', 'promote'] as const) {
      expect(refusal(command, bob, { ...running, phase: 'done' })).toBe(
        `cannot ${command}: the deploy already ended (done)`,
      );
      expect(refusal(command, bob, { ...running, compensating: true })).toBe(
        `cannot ${command}: the deploy is rolling back`,
      );
    }
  });
});
