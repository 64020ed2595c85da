// Whole deploys with the real activities on local-transport hosts, a real
// worker and the run's dev server: real files, real rsync, real log probes,
// the real judge.
import { inflatePayload } from '../../src/app/temporal/codec.js';
import { outcomeOf } from '../../src/app/client.js';
import { describe, expect, it } from 'vitest';
import { pauseUpdate, resumeUpdate, statusQuery } from '../../workflows/deploy.js';
import { DeployOutcome, DeployPhase } from '../../workflows/search-attributes.js';
import { eventually } from '../../src/poll.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { withDeployer } from '../helpers/deploys.js';
import { uniqueId } from '../helpers/temporal.js';

describe('deploys on local hosts with the real activities', () => {
  it('given a good release, it goes live on every host and the UI attributes say so', async () => {
    const fleet = await createLocalFleet(uniqueId('web'));
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    await withDeployer(async (d) => {
      const handle = await d.start(fleet, 'good-2', 0.01);
      const outcome = await outcomeOf(handle);
      expect(outcome.outcome).toBe('done');
      expect(outcome.verdicts[0]).toMatchObject({ phase: 'canary', verdict: 'pass' });
      expect(outcome.verdicts[0]!.metrics[0]).toMatch(
        /^http_5xx: canary 1% vs control [\d.]+% \(x(0\.9\d|1\.0\d) vs own baselines, tolerated x1\.20\), p=[\d.e-]+ >= [\d.e-]+ -> pass$/,
      );
      const sa = (await handle.describe()).typedSearchAttributes;
      expect(sa.get(DeployPhase)).toBe('done');
      expect(sa.get(DeployOutcome)).toBe('done');
    });
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-2'));
  });

  it('given a release that fails 20% of requests, the canaries are rolled back on their own', async () => {
    const fleet = await createLocalFleet(uniqueId('web'));
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    await withDeployer(async (d) => {
      const handle = await d.start(fleet, 'bad', 0.2);
      const outcome = await outcomeOf(handle);
      expect(outcome.outcome).toBe('rolled_back');
      expect(outcome.rolledBack).toHaveLength(2);
      const verdict = outcome.verdicts[0]!;
      expect(verdict).toMatchObject({ phase: 'canary', verdict: 'regression' });
      expect(verdict.metrics[0]).toMatch(
        /^http_5xx: canary 20% vs control [\d.]+% \(x\d+ vs own baselines, tolerated x1\.20\), p=[\d.]+(e-\d+)? < [\d.e-]+ -> regression$/,
      );
      expect((await handle.describe()).typedSearchAttributes.get(DeployOutcome)).toBe(
        'rolled_back',
      );
    });
    expect(Object.values(fleet.currents())).toEqual(fleet.config.hosts.map(() => 'good-1'));
  });

  it('records every decision in the workflow history: verdicts with their numbers, operator actions with who and why (invariant 6)', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 8, {
      // A soak long enough that pausing right after the flip lands inside it.
      durations: { baseline: '1s', soak: '6s', watch: '1s', lookEvery: '1s' },
    });
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    await withDeployer(async (d) => {
      const handle = await d.start(fleet, 'bad', 0.2);
      await eventually(async () => (await handle.query(statusQuery)).phase === 'canary', {
        what: 'the canary soak',
      });
      await handle.executeUpdate(pauseUpdate, {
        args: [{ operator: 'grace', reason: 'looking at graphs' }],
      });
      await handle.executeUpdate(resumeUpdate, {
        args: [{ operator: 'grace', reason: 'carry on' }],
      });
      const outcome = await outcomeOf(handle);
      expect(outcome.outcome).toBe('rolled_back');
      // Decode every payload in the history and look for the decisions.
      const history = await handle.fetchHistory();
      const texts = (history.events ?? []).flatMap((e) =>
        [
          ...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
          ...(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args
            ?.payloads ?? []),
        ].map((p) => Buffer.from(inflatePayload(p).data ?? new Uint8Array()).toString('utf8')),
      );
      const verdict = texts.find((t) => t.includes('"verdict":"regression"'));
      expect(verdict).toBeDefined();
      expect(verdict).toMatch(
        /http_5xx: canary 20% vs control [\d.]+% \(x\d+ vs own baselines, tolerated x1\.20\), p=[\d.]+(e-\d+)? < /,
      );
      expect(verdict).toContain('"pValue":');
      expect(texts).toContain(JSON.stringify({ operator: 'grace', reason: 'looking at graphs' }));
      expect(texts).toContain(JSON.stringify({ operator: 'grace', reason: 'carry on' }));
    });
  });

  it('rolls a cluster back to its previous release on demand, in seconds', async () => {
    const fleet = await createLocalFleet(uniqueId('web'), 4, {
      durations: { baseline: '1s', soak: '1s', watch: '1s', lookEvery: '1s' },
      holdback: 1,
      canary: { size: 1 },
      judge: { minControlHosts: 1 },
      onInconclusive: 'proceed',
    });
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    await preinstall(fleet, 'v2', fleet.release('v2', 0.01));
    await withDeployer(async (d) => {
      const outcome = await d.rollback(fleet, { operator: 'erin', reason: 'bad data' });
      expect(outcome).toMatchObject({
        outcome: 'done',
        switched: { 'web-1': { from: 'v2', to: 'v1' }, 'web-4': { from: 'v2', to: 'v1' } },
      });
      expect(outcome.summary).toBe('rolled back 4 hosts (4 from v2 to v1) by erin: bad data');
      // v2 is now rejected on every host: a second plain rollback cannot go forward onto it.
      const again = await d.rollback(fleet, { operator: 'erin', reason: 'again' });
      expect(again.outcome).toBe('failed');
      expect(again.summary).toContain('no host was switched: no rollback target on web-1 (');
      const missing = await d.rollback(fleet, { to: 'v9', operator: 'erin', reason: 'typo' });
      expect(missing.outcome).toBe('failed');
      expect(missing.summary).toContain(
        'no rollback target on web-1 (v9 is not retained), web-2 (v9 is not retained)',
      );
    });
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
  });
});
