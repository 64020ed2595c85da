// Time in a deploy: pausable, promotable timers, and phases that tick on a
// fixed cadence (a reading, a look) while an operator may pause or promote.
import { condition, patched } from '@temporalio/workflow';

/** Deploys started before readings ran beside their timers replay with stretched timers. */
export const TIMERS_HOLD_PATCH = 'timers-hold-readings-beside-them';

/** The operator's say over time, read live (updates change it between awaits). */
export interface Controls {
  paused(): boolean;
  promoted(): boolean;
}

/** A pausable, promotable timer: paused time does not count. Returns the time spent paused. */
export async function holdFor(ctl: Controls, ms: number, summary: string): Promise<number> {
  let left = ms;
  let paused = 0;
  while (left > 0 && !ctl.promoted()) {
    const start = Date.now();
    const interrupted = await condition(() => ctl.paused() || ctl.promoted(), left, { summary });
    if (!interrupted) break;
    left -= Date.now() - start;
    const pausedAt = Date.now();
    await condition(() => !ctl.paused() || ctl.promoted());
    paused += Date.now() - pausedAt;
  }
  return paused;
}

/**
 * Runs `tick(0)` now, then `tick(k)` when each of `dues` (ms from now) comes
 * round, on pausable, promotable timers. With TIMERS_HOLD_PATCH the dues are
 * fixed from the start, so time spent in a tick (a reading, a judgement)
 * does not stretch the phase: it lasts its last due plus that last tick.
 * Before the patch each wait was the gap between dues, after the tick.
 */
export async function onCadence(
  ctl: Controls,
  dues: number[],
  summary: (k: number) => string,
  tick: (k: number) => Promise<void>,
  /** Where a promote ends the phase (the baseline is not promotable). */
  stopOnPromote: 'never' | 'before-hold' | 'after-hold',
) {
  const fixed = patched(TIMERS_HOLD_PATCH);
  const start = Date.now();
  let paused = 0;
  await tick(0);
  for (let k = 1; k <= dues.length; k++) {
    if (stopOnPromote !== 'never' && ctl.promoted()) break;
    const due = dues[k - 1]!;
    const wait = fixed ? due - (Date.now() - start - paused) : due - (dues[k - 2] ?? 0);
    if (wait > 0) paused += await holdFor(ctl, wait, summary(k));
    if (stopOnPromote === 'after-hold' && ctl.promoted()) break;
    await tick(k);
  }
}
