// How the world talks to a running deploy: the status and snapshots
// queries, the operator's updates (validated by the pure reducer in
// controls.ts before they are accepted into history) and the cluster
// queue's signals.
import {
  ApplicationFailure,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
} from '@temporalio/workflow';
import type { OperatorCommand, OperatorRequest } from '../src/core/vocabulary.js';
import type { Snapshot } from '../src/judge/types.js';
import { grantedSignal, supersededSignal } from './cluster-queue.js';
import { applyCommand, promoteEffect, refusal } from './controls.js';
import { accessRefusal } from '../src/core/access.js';
import type { DeployContext } from './deploy-context.js';
import type { DeployStatus } from './model.js';

export const statusQuery = defineQuery<DeployStatus>('status');
export const snapshotsQuery = defineQuery<
  Record<string, (Snapshot | null)[]>,
  [{ readings: number[]; hosts: string[] }]
>('snapshots');
export const pauseUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('pause');
export const resumeUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('resume');
export const abortUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('abort');
export const promoteUpdate = defineUpdate<DeployStatus, [OperatorRequest]>('promote');
/** Fire-and-forget abort for callers that cannot wait (same checks as the update). */
export const abortSignal = defineSignal<[OperatorRequest]>('abort-signal');

export function registerHandlers(ctx: DeployContext) {
  setHandler(statusQuery, () => ctx.status());
  setHandler(snapshotsQuery, ({ readings, hosts }) => ctx.readings.snapshots(readings, hosts));
  setHandler(grantedSignal, () => {
    ctx.granted = true;
  });
  setHandler(supersededSignal, (s) => {
    if (!ctx.granted) ctx.superseded = s;
  });
  const handle = (command: OperatorCommand) => ({
    validator: (req: OperatorRequest) => {
      // The cluster file the worker holds says who may; then whether it makes sense now.
      const denied = accessRefusal(ctx.cfg.cluster, ctx.cfg.access, command, req.operator ?? '');
      if (denied !== undefined) throw ApplicationFailure.nonRetryable(denied, 'NOT_AUTHORIZED');
      const why = refusal(command, req, ctx.controls());
      if (why !== undefined) throw ApplicationFailure.nonRetryable(why, 'DEPLOY_REJECTED');
    },
    handler: (req: OperatorRequest) => {
      const action = {
        command,
        operator: req.operator,
        reason: req.reason,
        at: Date.now(),
        ...(req.intent ? { intent: req.intent } : {}),
        ...(command === 'promote' ? { effect: promoteEffect(ctx.controls()) } : {}),
      };
      ctx.actions.push({ ...action, phase: ctx.phase });
      const next = applyCommand(command, req, ctx.controls());
      if (next.paused && !ctx.paused) ctx.pausedSince = Date.now();
      if (!next.paused && ctx.paused && ctx.pausedSince !== null)
        ctx.pausedInPhaseMs += Date.now() - ctx.pausedSince;
      ctx.paused = next.paused;
      ctx.pausedReason = next.pausedReason;
      ctx.promoted = next.promoted;
      if (command === 'abort') {
        ctx.abortedBy = ctx.actions[ctx.actions.length - 1]!;
        ctx.scope.cancel();
      }
      ctx.details();
      return ctx.status();
    },
  });
  const pause = handle('pause');
  const resume = handle('resume');
  const abort = handle('abort');
  const promote = handle('promote');
  setHandler(pauseUpdate, pause.handler, { validator: pause.validator });
  setHandler(resumeUpdate, resume.handler, { validator: resume.validator });
  setHandler(abortUpdate, abort.handler, { validator: abort.validator });
  setHandler(promoteUpdate, promote.handler, { validator: promote.validator });
  setHandler(abortSignal, (req) => {
    try {
      abort.validator(req);
      abort.handler(req);
    } catch {
      // Signals cannot be rejected: an invalid abort is ignored (the update says why).
    }
  });
}
