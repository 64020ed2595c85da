// Runs one step on every host of a batch, a few at a time, heartbeating the
// hosts already done so that a retried activity resumes where it stopped.
import { Context } from '@temporalio/activity';
import type { BatchResult, HostFailure } from '../src/core/vocabulary.js';
import { describeCause, isPhasedError } from '../src/errors.js';

/** How often a batch heartbeats while its hosts work (well inside the 20 s heartbeat timeout). */
export const HEARTBEAT_MS = 5_000;

/**
 * Runs `fn` heartbeating every HEARTBEAT_MS, so a dead worker is noticed
 * within the heartbeat timeout even while one step runs long (a big rsync).
 * The details default to the last heartbeat's, so progress is kept.
 */
export async function whileBeating<T>(fn: () => Promise<T>, details?: () => unknown): Promise<T> {
  const ctx = Context.current();
  const kept: unknown = ctx.info.heartbeatDetails;
  const beat = setInterval(() => ctx.heartbeat(details ? details() : kept), HEARTBEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(beat);
  }
}

/** Hosts finished by an earlier attempt of this activity, from its last heartbeat. */
function resumed<R>(): Map<string, R> {
  const details: unknown = Context.current().info.heartbeatDetails;
  const done = (details as { done?: Record<string, R> } | undefined)?.done;
  return new Map(Object.entries(done ?? {}));
}

/** Names of the hosts an earlier attempt of this activity already finished. */
export function finishedHosts(): Set<string> {
  return new Set(resumed().keys());
}

/** Tries a host step again after transient failures (a reset connection, a timeout). */
async function withRetries<R>(step: () => Promise<R>, attempts: number): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || !(isPhasedError(err) && err.retryable)) throw err;
      Context.current().heartbeat();
      await Context.current().sleep(500 * 2 ** (attempt - 1));
    }
  }
}

/**
 * Runs `step` on each host, at most `concurrency` at once. Transient errors
 * are retried a few times with backoff; what still fails is reported per
 * host (the workflow's policy decides), never thrown for the whole batch.
 */
export async function forEachHost<H extends { name: string }, R>(
  hosts: readonly H[],
  step: (host: H) => Promise<R>,
  concurrency = 16,
  attempts = 3,
): Promise<BatchResult<R>> {
  const done = resumed<R>();
  const failed: HostFailure[] = [];
  const queue = hosts.filter((h) => !done.has(h.name));
  const worker = async () => {
    for (let h = queue.shift(); h; h = queue.shift()) {
      try {
        const host = h;
        done.set(h.name, await withRetries(() => step(host), attempts));
      } catch (err) {
        failed.push({
          host: h.name,
          code: isPhasedError(err) ? err.code : 'HOST_COMMAND_FAILED',
          error: isPhasedError(err) ? err.problem : `${h.name}: ${describeCause(err)}`,
        });
      }
      Context.current().heartbeat({ done: Object.fromEntries(done) });
    }
  };
  await whileBeating(
    () => Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker)),
    () => ({ done: Object.fromEntries(done) }),
  );
  return {
    ok: hosts
      .filter((h) => done.has(h.name))
      .map((h) => ({ host: h.name, result: done.get(h.name)! })),
    failed,
  };
}
