// What a deploy that stops must undo, worked out without side effects: why
// it stopped, how that reads, and where each switched host goes back to.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { TidyResult } from '../src/core/vocabulary.js';
import type { FlipTarget } from './fan-out.js';
import type { Host, Outcome } from '../src/core/vocabulary.js';

/**
 * Why the rollout stops and unwinds. A typed, non-retryable failure: the
 * deploy always catches it, and were one ever to escape it would fail the
 * workflow rather than its task (which Temporal retries forever).
 */
export class Stop extends ApplicationFailure {
  constructor(
    readonly outcome: Outcome,
    message: string,
  ) {
    super(message, 'DEPLOY_STOPPED', true);
  }
}

/** The outcome of a rollout that threw: an operator's abort, a Stop, or anything else (rolled back). */
export function stoppedBy(err: unknown): Outcome {
  if (isCancellation(err)) return 'aborted';
  return err instanceof Stop ? err.outcome : 'rolled_back';
}

/** An error as one line, with its cause. */
export function describe(err: unknown): string {
  if (err instanceof Stop) return err.message;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    // A worker's typed refusal (SOURCE_CHANGED...) reads as its own message and code.
    if (cause instanceof ApplicationFailure && cause.type && cause.nonRetryable)
      return `${cause.message.replace(/\n\s*fix: /, '; fix: ')} [${cause.type}]`;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/**
 * The compensation stack, last switched first: each host back to its
 * previous release, or for an adopted host to its old link, this deploy's
 * release marked rejected in the same step. A host that had no release
 * before this one has nothing to go back to.
 */
export function rollbackTargets(
  switched: readonly Host[],
  previous: ReadonlyMap<string, string | null>,
  adoptedLinks: ReadonlyMap<string, string>,
  reject: { revision: string; reason: string },
): { targets: FlipTarget[]; nothingToReturnTo: string[] } {
  const targets: FlipTarget[] = [];
  const nothingToReturnTo: string[] = [];
  for (const host of [...switched].reverse()) {
    const prev = previous.get(host.name);
    const link = adoptedLinks.get(host.name);
    if (prev) targets.push({ host, revision: prev, reject });
    else if (link) targets.push({ host, revision: link, link, reject });
    else nothingToReturnTo.push(host.name);
  }
  return { targets, nothingToReturnTo };
}

/**
 * Why a host that should be live on `revision` is not, from the finish's
 * check of it (null: it is live). Such a host broke during the deploy.
 */
export function whyBroken(
  checked: TidyResult | { error: string } | undefined,
  revision: string,
): string | null {
  if (checked === undefined) return 'could not be checked';
  if ('error' in checked) return checked.error;
  if (checked.current === revision) return null;
  if (checked.currentKind === 'none') return 'has no current (deploy root removed?)';
  return `current is ${checked.currentLink ?? 'not a symlink'}, not releases/${revision}`;
}
