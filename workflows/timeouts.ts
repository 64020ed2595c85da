// Named timeout and retry profiles for activities, so every proxy says which
// kind of work it is rather than repeating numbers.
import type { ActivityOptions } from '@temporalio/workflow';

/** Fast bookkeeping on the worker itself. */
export const QUICK: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
};

/**
 * Copying a release to a batch of hosts, heartbeating every 5 s. A worker
 * that dies is noticed after 20 s without a heartbeat, and another worker
 * resumes the batch from the hosts it had finished (and each unfinished
 * host's copy from its partial tree). Within the activity, each copy is cut
 * when no data moved for two minutes (a stalled link) or when it falls below
 * 1 Mbit/s over its release's size (copyDeadlineMs): a slow uplink takes as
 * long as its bytes need. So the start-to-close timeout is only a backstop,
 * a day, never the clock that decides a large batch failed.
 */
export const STAGING: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
};

/** Flipping symlinks, inspecting and pruning: quick per host, heartbeating every 5 s. */
export const HOST_STEP: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
};

/**
 * Reading metrics: short, and not worth many retries (a missed reading is
 * data). It heartbeats every 5 s, so a reading a dead worker held is taken
 * again within about 15 s instead of at its one-minute deadline.
 */
export const SAMPLING: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
};

/** A webhook: a few tries over about half a minute, then the deploy goes on without it. */
export const NOTIFYING: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
};

/**
 * The judge: CPU only, deterministic, after queries for the readings. It
 * heartbeats while they wait: a look handed to a worker as it stopped (the
 * task delivered to a poll being cancelled, never run) is taken again about
 * 15 s later instead of holding the deploy for the two-minute deadline.
 */
export const JUDGING: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
};
