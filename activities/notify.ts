// Tells a webhook about a deploy: one POST of Slack-compatible JSON (a
// `text` line, plus phased's own fields). Failures are retryable; the
// workflow gives up after a few attempts and never fails a deploy for it.
import { PhasedError, rootCause } from '../src/errors.js';
import { asActivityFailure } from './hosts.js';

export interface Notification {
  /** The receiver, or the worker's environment variable that holds it. */
  hook: { url?: string; urlEnv?: string };
  /** What a person reads (Slack shows `text`). */
  text: string;
  /** The same as data, for receivers that are programs. */
  phased: Record<string, unknown>;
}

export interface NotifyDeps {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function createNotifyActivities({ env, timeoutMs = 10_000 }: NotifyDeps) {
  return {
    notify: (n: Notification): Promise<void> => asActivityFailure(() => send(n)),
  };

  async function send({ hook, text, phased }: Notification): Promise<void> {
    const url = hook.url ?? (hook.urlEnv ? env[hook.urlEnv] : undefined);
    const where = hook.urlEnv ? `the webhook in $${hook.urlEnv}` : `the webhook ${url}`;
    if (!url)
      throw new PhasedError({
        code: 'NOTIFY_FAILED',
        problem: `cannot notify ${where}: the worker has no such environment variable`,
        fix: `set ${hook.urlEnv} in the worker's environment, or remove the webhook from the cluster file`,
      });
    let status: number;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, phased }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
    } catch (cause) {
      throw new PhasedError({
        code: 'NOTIFY_FAILED',
        problem: `cannot notify ${where}: ${rootCause(cause)}`,
        fix: 'check that the receiver is up and reachable from the worker',
        retryable: true,
        cause,
      });
    }
    if (status >= 300)
      throw new PhasedError({
        code: 'NOTIFY_FAILED',
        problem: `${where} answered HTTP ${status}`,
        fix: 'check the webhook URL and the receiver',
        retryable: status >= 500 || status === 429,
      });
  }
}
