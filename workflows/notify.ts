// Webhooks named in the cluster file hear of each deploy's start and its
// outcome. Best effort by design: a receiver that is down is retried a few
// times, then forgotten; it never fails, holds up or rolls back a deploy.
import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ClusterInUse } from './cluster-config.js';
import { NOTIFYING } from './timeouts.js';

const { notify } = proxyActivities<Activities>(NOTIFYING);

/** Deploys recorded before webhooks existed replay without their activities. */
export const NOTIFY_PATCH = 'webhook-notifications';

type Hooks = ClusterInUse['cfg']['notify'] | undefined;

const describeHook = (h: NonNullable<Hooks>[number]) =>
  h.urlEnv ? `$${h.urlEnv}` : (h.url ?? '').replace(/^(https?:\/\/[^/]+).*$/, '$1');

/** Tells every webhook; resolves when each has answered or been given up on. */
export async function tell(
  { cfg, ref }: ClusterInUse,
  text: string,
  phased: Record<string, unknown>,
): Promise<void> {
  const hooks: Hooks = cfg.notify;
  // Configurations recorded before webhooks existed have no list at all.
  if (!hooks || hooks.length === 0 || !patched(NOTIFY_PATCH)) return;
  await CancellationScope.nonCancellable(() =>
    Promise.all(
      hooks.map((hook, index) =>
        notify
          .executeWithOptions(
            { ...NOTIFYING, summary: `notify ${describeHook(hook)}: ${String(phased.event)}` },
            [{ ref, index, text, phased }],
          )
          .catch(() => undefined),
      ),
    ),
  );
}
