// Following a running deploy from the CLI: its status as it changes, through
// Temporal outages, until its outcome (deploy --wait, status --watch).
import { appendFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import logUpdate from 'log-update';
import { outcomeOf } from '../client.js';
import {
  EXIT_SIGNAL,
  EXIT_TIMEOUT,
  stillRunning,
  pausedMarkdown,
  progressBlock,
  statusLine,
  lookLabel,
} from './format.js';
import { formatDuration } from '../../config/duration.js';
import { isUnreachable, OutageNotes } from './outage.js';
import type { DeployOutcome } from '../../../workflows/model.js';
import { statusQuery, type deploy } from '../../../workflows/deploy.js';
import type { WorkflowHandle } from '@temporalio/client';

/**
 * The first Ctrl-C or SIGTERM (or --timeout) ends the CLI at once: only the
 * following stops, the deploy goes on in Temporal, and the message says how
 * to follow, pause or abort it.
 */
export function stopFollowingOn(workflowId: string, cluster: string, timeoutMs?: number) {
  const stop = (why: string, code: number) => {
    console.error(stillRunning(workflowId, cluster, why));
    process.exit(code);
  };
  process.once('SIGINT', () => stop('interrupted (Ctrl-C)', EXIT_SIGNAL.SIGINT));
  process.once('SIGTERM', () => stop('terminated (SIGTERM)', EXIT_SIGNAL.SIGTERM));
  if (timeoutMs !== undefined)
    setTimeout(
      () => stop(`gave up waiting after ${formatDuration(timeoutMs)} (--timeout)`, EXIT_TIMEOUT),
      timeoutMs,
    ).unref();
}

/**
 * Prints each change of a running deploy's status until it ends, then
 * returns its outcome. Rides out Temporal outages of any length: the deploy
 * resumes with the server, so the follower waits too, noting it on stderr.
 */
export async function follow(
  handle: WorkflowHandle<typeof deploy>,
  quiet: boolean | undefined,
  cluster: string,
  timeoutMs?: number,
  durations?: { soak: number; watch: number },
) {
  stopFollowingOn(handle.workflowId, cluster, timeoutMs);
  const notes = new OutageNotes(handle.workflowId);
  let outcome: DeployOutcome | undefined;
  let failure: { err: unknown } | undefined;
  const waitForResult = (): void =>
    void outcomeOf(handle).then(
      (o) => {
        // The server answered with the result: an outage, if any, is over.
        notes.up();
        outcome = o;
      },
      async (err: unknown) => {
        if (!isUnreachable(err)) return void (failure = { err });
        notes.down();
        await delay(2000);
        waitForResult();
      },
    );
  waitForResult();
  let last = '';
  let verdicts = 0;
  let paused = false;
  // On a terminal the progress block is redrawn in place; in a pipe or a CI
  // log each change is a line of its own.
  const live = !quiet && process.stdout.isTTY === true;
  while (outcome === undefined && failure === undefined) {
    try {
      const s = await handle.query(statusQuery);
      notes.up();
      if (live) logUpdate(progressBlock(s, Date.now(), durations));
      const line = statusLine(s);
      if (!quiet && !live && line !== last) console.log(`  ${line}`);
      last = line;
      if (!quiet && !live)
        for (const v of s.verdicts.slice(verdicts))
          console.log(`  verdict ${lookLabel(v)}: ${v.reason}`);
      verdicts = s.verdicts.length;
      // On GitHub Actions the job's page says at once that the deploy waits for a person.
      const summary = process.env.GITHUB_STEP_SUMMARY;
      if (s.paused && !paused && summary)
        appendFileSync(summary, pausedMarkdown(handle.workflowId, s));
      paused = s.paused;
    } catch (err) {
      // Between workflow tasks a query can fail; an unreachable server is noted.
      if (isUnreachable(err)) notes.down();
    }
    if (outcome === undefined && failure === undefined) await delay(1000);
  }
  if (live) logUpdate.done();
  if (failure) throw failure.err;
  return outcome!;
}
