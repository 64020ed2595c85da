// deploy --wait's GitHub Actions job summary: Markdown a person reads on the
// job's page, with the outcome first and one table row per look.
import { describe, expect, it } from 'vitest';
import { outcomeMarkdown, pausedMarkdown } from '../../../src/app/cli/format.js';
import type { DeployOutcome, DeployStatus } from '../../../workflows/model.js';

const outcome: DeployOutcome = {
  outcome: 'rolled_back',
  cluster: 'web',
  revision: 'abc123',
  summary: 'canary regression: critical metric regressed: http_5xx; rolled back 2 host(s)',
  rolledBack: ['web-1', 'web-2'],
  unavailable: [],
  broken: [],
  verdicts: [
    {
      phase: 'canary',
      look: 1,
      reading: 2,
      at: 0,
      verdict: 'regression',
      reason: 'critical metric regressed: http_5xx',
      metrics: ['http_5xx: canary 20% vs control 1% -> regression', 'a | pipe'],
    },
  ],
  actions: [],
  timings: {},
};

describe('the job summary of deploy --wait', () => {
  it('leads with the outcome and gives each look a row, its metric lines kept apart', () => {
    expect(outcomeMarkdown('deploy-web-abc123-x', outcome).split('\n')).toEqual([
      '### phased: web <- `abc123`: rolled back',
      '',
      'canary regression: critical metric regressed: http_5xx; rolled back 2 host(s)',
      '',
      'Workflow `deploy-web-abc123-x`; exit code 3. Canary report: `phased report deploy-web-abc123-x`.',
      '',
      '| look | verdict | metrics |',
      '| --- | --- | --- |',
      '| canary look 1 (early stop at soak reading 2) | regression | http_5xx: canary 20% vs control 1% -> regression<br>a \\| pipe |',
      '',
    ]);
  });

  it("says at once when the deploy pauses: why, the look's numbers, and what to run", () => {
    const look = {
      phase: 'watch' as const,
      look: 4,
      at: 0,
      verdict: 'inconclusive' as const,
      reason: 'critical metric cannot decide: http_5xx',
      metrics: [
        'http_5xx: inconclusive: canary saw 510 http_requests since the switch, needs 1000 (minExposure)',
      ],
    };
    const status: DeployStatus = {
      cluster: 'web',
      revision: 'abc123',
      phase: 'watching',
      paused: true,
      pausedReason: `inconclusive watch verdict: ${look.reason}`,
      pausedSince: 0,
      hostCounts: {},
      hostsByState: {},
      canaries: [],
      lastVerdict: look,
      verdicts: [look],
      actions: [],
      timings: {},
      outcome: null,
    };
    expect(pausedMarkdown('deploy-web-abc123-x', status).split('\n')).toEqual([
      '### phased: web <- `abc123`: PAUSED, waiting for a person',
      '',
      'inconclusive watch verdict: critical metric cannot decide: http_5xx',
      '',
      '- http_5xx: inconclusive: canary saw 510 http_requests since the switch, needs 1000 (minExposure)',
      '',
      "Resume: `phased resume web --reason '...'`; abort: `phased abort web --reason '...'`; proceed past it: `phased promote web --proceed --reason '...'`.",
      "Unanswered, phased rolls it back at the cluster's pauseTimeout. Workflow `deploy-web-abc123-x`; report: `phased report deploy-web-abc123-x`.",
      '',
    ]);
  });
});
