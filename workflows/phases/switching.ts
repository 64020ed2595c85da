// Switching: the canaries first, then the rest in waves, each wave but the
// last soaked and judged like the canary. Every host that flips goes on the
// compensation stack before the next step.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { Host } from '../../src/core/vocabulary.js';
import { Stop } from '../compensation.js';
import type { DeployContext } from '../deploy-context.js';
import { overBatches } from '../fan-out.js';
import { HOST_STEP } from '../timeouts.js';
import { soakAndJudge } from './canary.js';
import type { Judged } from './judging.js';

const { flipHosts } = proxyActivities<Activities>(HOST_STEP);

export async function switchCanaries(ctx: DeployContext, judged: Judged) {
  ctx.setPhase('canary');
  await switchHosts(ctx, judged.plan.canaries, 'canary');
}

export async function switchWaves(ctx: DeployContext, judged: Judged) {
  const { waves } = judged.plan;
  for (let i = 0; i < waves.length; i++) {
    await ctx.gate();
    ctx.setPhase('switching');
    await switchHosts(ctx, waves[i]!, `wave ${i + 1}/${waves.length}`);
    if (i < waves.length - 1)
      await soakAndJudge(ctx, judged, 'wave', [...ctx.fleet.switched], i + 2);
  }
}

/** Flips hosts to the new release; any host that fails stops the rollout. */
export async function switchHosts(ctx: DeployContext, hosts: Host[], label: string) {
  if (hosts.length === 0) return;
  for (const h of hosts) ctx.fleet.state.set(h.name, 'switching');
  ctx.details();
  const results = await overBatches(hosts, ctx.cfg.batchSize, (b) =>
    flipHosts.executeWithOptions({ ...HOST_STEP, summary: `switch ${label}: ${b.length} hosts` }, [
      {
        ref: ctx.ref,
        targets: b.map((host) => ({ host, revision: ctx.revision })),
        after: { hook: 'afterSwitch' },
      },
    ]),
  );
  const failed = results.flatMap(({ batch, result }) => ctx.fleet.switchedBatch(batch, result));
  if (failed.length > 0)
    throw new Stop(
      'rolled_back',
      `switching ${label} failed on ${failed.length} host(s): ${failed.map((f) => `${f.error} [${f.code}]`).join('; ')}`,
    );
}
