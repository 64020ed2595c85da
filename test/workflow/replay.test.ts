// Replays the recorded history of a full deploy against today's workflow
// code: a change that would break running deploys (non-determinism) fails
// here instead of in production. Re-record with test/workflow/record-history.ts
// only when such a break is intended.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';

describe('replay', () => {
  // deploy-happy: recorded when callers sent the cluster configuration;
  // deploy-worker-config: recorded since the worker reads its own file.
  it.each(['deploy-happy', 'deploy-worker-config'])(
    'replays the recorded %s deploy without non-determinism',
    async (name) => {
      const json: unknown = JSON.parse(
        readFileSync(path.join(projectRoot, `test/workflow/histories/${name}.json`), 'utf8'),
      );
      const history = proto.temporal.api.history.v1.History.fromObject(json as object);
      expect(history.events?.length).toBeGreaterThan(100);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        'deploy-replay-v2',
      );
    },
  );
});
