// judgeLook fetches a deploy's readings from the workflow with a query; a
// 2,000-host deploy's would not fit one query's answer, so it asks in chunks.
// Every host must be asked for exactly once, and every one must be judged.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { ClusterStore } from '../../src/config/store.js';
import { createMetricActivities, type SnapshotRequest } from '../../activities/metrics.js';
import type { Snapshot } from '../../src/judge/types.js';
import { inActivity } from '../helpers/activity.js';

const HOSTS = Array.from({ length: 600 }, (_, i) => `web-${i + 1}`);

/** Readings 0-1 the baseline, 2-3 since the switch: 1,000 requests and 10 errors a window. */
function snapshotsOf(host: string): Snapshot[] {
  const bad = host === 'web-1' ? 5 : 1; // the one canary errs five times as often
  return [0, 1, 2, 3].map((i) => ({
    t: i * 30_000,
    v: [i * 1000, i <= 1 ? i * 10 : 10 + (i - 1) * 10 * bad],
  }));
}

describe('judgeLook', () => {
  it('queries a large deploy in chunks, each host once, and judges them all', async () => {
    const asked: SnapshotRequest[] = [];
    const metrics = createMetricActivities({
      transport: () => {
        throw new Error('judging reaches no host');
      },
      clusters: new ClusterStore('/nonexistent'),
      fetchSnapshots: (req) => {
        asked.push(req);
        return Promise.resolve(
          Object.fromEntries(
            req.hosts.map((h) => [h, req.readings.map((i) => snapshotsOf(h)[i]!)]),
          ),
        );
      },
    });
    const verdict = await inActivity(new MockActivityEnvironment(), () =>
      metrics.judgeLook({
        workflowId: 'deploy-1',
        series: ['requests', 'errors'],
        metrics: [
          {
            name: 'errors',
            kind: 'counter',
            series: 'errors',
            exposure: 'requests',
            worse: 'higher',
            tolerance: 0.2,
            critical: true,
          },
        ],
        plan: { alpha: 0.001, canaryLooks: 1, watchLooks: 0 },
        phase: 'canary',
        before: [0, 1],
        after: [2, 3],
        canary: HOSTS.slice(0, 1),
        control: HOSTS.slice(1),
      }),
    );
    expect(asked.map((r) => r.hosts.length)).toEqual([250, 250, 100]);
    expect(asked.flatMap((r) => r.hosts).sort()).toEqual([...HOSTS].sort());
    for (const r of asked)
      expect(r).toMatchObject({ workflowId: 'deploy-1', readings: [0, 1, 2, 3] });
    const errors = verdict.metrics.find((m) => m.metric === 'errors')!;
    expect(errors.evidence).toMatchObject({ canaryHosts: 1, controlHosts: 599 });
    expect(verdict.verdict).toBe('regression');
  });
});
