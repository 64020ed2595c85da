// Tells a webhook about a deploy: one POST of Slack-compatible JSON (a
// `text` line, plus phased's own fields). Failures are retryable; the
// workflow gives up after a few attempts and never fails a deploy for it.
import { PhasedError, rootCause } from '../src/errors.js';
import type { ClusterRef } from '../src/core/vocabulary.js';
import type { ClusterStore } from '../src/config/store.js';
import { asActivityFailure } from './hosts.js';

export interface Notification {
  /** The cluster whose file names the webhook. */
  ref: ClusterRef;
  /** Which of the cluster file's webhooks (the worker reads its URL there, or from its environment). */
  index: number;
  /** What a person reads (Slack shows `text`). */
  text: string;
  /** The same as data, for receivers that are programs. */
  phased: Record<string, unknown>;
}

export interface NotifyDeps {
  env: NodeJS.ProcessEnv;
  clusters: ClusterStore;
  timeoutMs?: number;
}

export function createNotifyActivities({ env, clusters, timeoutMs = 10_000 }: NotifyDeps) {
  return {
    notify: (n: Notification): Promise<void> => asActivityFailure(() => send(n)),
  };

  async function send({ ref, index, text, phased }: Notification): Promise<void> {
    const { config, file } = clusters.resolve(ref);
    const hook = config.notify[index];
    if (!hook)
      throw new PhasedError({
        code: 'NOTIFY_FAILED',
        problem: `${file} names no webhook number ${index + 1}`,
        fix: 'nothing to do: the cluster file changed since the deploy started',
      });
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
        body: JSON.stringify(withUiLink(text, phased, env)),
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

/**
 * With PHASED_UI_URL in the worker's environment (the Temporal UI operators
 * open), a notice about a deploy links to its page there.
 */
export function withUiLink(
  text: string,
  phased: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { text: string; phased: Record<string, unknown> } {
  const ui = env.PHASED_UI_URL?.replace(/\/+$/, '');
  if (!ui || typeof phased.workflowId !== 'string') return { text, phased };
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const link = `${ui}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(phased.workflowId)}`;
  return { text: `${text}\nTemporal UI: ${link}`, phased: { ...phased, ui: link } };
}
