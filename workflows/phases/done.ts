// The end of a deploy that went live: switch the held-back hosts, then check
// every host in one round trip that also marks the release and applies
// retention. tidy() is the same round trip for every other ending.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { TidyResult } from '../../src/core/vocabulary.js';
import { Stop, whyBroken } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import { overBatches } from '../fan-out.js';
import { HOST_STEP } from '../timeouts.js';
import type { Judged } from './judging.js';
import { switchHosts } from './switching.js';

const { pruneHosts } = proxyActivities<Activities>(HOST_STEP);

/**
 * Deploys started before hosts were checked at the finish and tidied after
 * every outcome replay without those steps (Temporal patching).
 */
export const HOST_CHECKS_PATCH = 'host-checks-and-tidy-after-every-outcome';

/** What a release is marked on a host at the end: accepted (went live) or rejected (and why). */
export interface ReleaseMark {
  revision: string;
  as: 'reject' | 'accept';
  reason: string;
}

/**
 * Switches the held-back hosts, then checks every host: a host whose current
 * does not point at the new release broke during the deploy. It counts
 * against maxUnavailable with the hosts that could not be staged.
 */
export async function finish(ctx: DeployContext, judged: Judged) {
  await ctx.gate();
  ctx.setPhase('finishing');
  await switchHosts(ctx, judged.plan.holdback, 'holdback');
  if (!patched(HOST_CHECKS_PATCH)) {
    await tidy(ctx);
    return;
  }
  const checked = await tidy(ctx, { revision: ctx.revision, as: 'accept', reason: 'went live' });
  const broken: string[] = [];
  for (const h of ctx.fleet.targets()) {
    const why = whyBroken(checked.get(h.name), ctx.revision);
    if (why === null) continue;
    ctx.fleet.state.set(h.name, 'broken');
    broken.push(`${h.name} ${why}`);
  }
  ctx.fleet.broken.push(...broken);
  const unavailable = ctx.hosts.length - ctx.fleet.targets().length;
  const { maxUnavailable } = ctx.cfg;
  if (broken.length + unavailable > maxUnavailable)
    throw new Stop(
      'rolled_back',
      `${broken.length} host(s) broke during the deploy (with ${unavailable} unavailable, more than maxUnavailable=${maxUnavailable}): ${broken.join('; ')}`,
    );
}

/**
 * One round trip per host at the end of every deploy that staged: what
 * current points at, the release's accepted or rejected mark, retention.
 */
export async function tidy(ctx: DeployContext, mark?: ReleaseMark) {
  const { fleet, cfg } = ctx;
  const hosts = ctx.hosts.filter((h) => fleet.state.get(h.name) !== 'unavailable');
  // Each batch carries its own hosts' releases only: the whole fleet's in
  // every batch grew the history with the square of the fleet.
  const protect = (b: readonly { name: string }[]) =>
    Object.fromEntries(b.map((h) => [h.name, [ctx.revision, fleet.previous.get(h.name) ?? null]]));
  const results = await overBatches(hosts, cfg.batchSize, (b) =>
    pruneHosts.executeWithOptions(
      { ...HOST_STEP, summary: `check ${b.length} hosts, keep ${cfg.retention.keep} releases` },
      [
        {
          ref: ctx.ref,
          hosts: b,
          keep: cfg.retention.keep,
          protect: protect(b),
          mark,
        },
      ],
    ),
  );
  const out = new Map<string, TidyResult | { error: string }>();
  for (const { result: r } of results) {
    for (const { host, result } of r.ok) out.set(host, result);
    for (const f of r.failed) out.set(f.host, { error: `${f.error} [${f.code}]` });
  }
  return out;
}
