// The rollback workflow, a host that breaks mid-deploy, and the real judge on
// lost traffic and short exposure, on the time-skipping test server.
import { outcomeOf } from '../../src/app/client.js';
import { describe, expect, it } from 'vitest';
import { abortUpdate } from '../../workflows/deploy.js';
import { FakeFleet, servingConfig, servingErrors, testConfig } from '../helpers/fake-fleet.js';
import { uniqueId } from '../helpers/temporal.js';
import {
  env,
  freshServerPerTest,
  HOSTS,
  who,
  withWorker,
  start,
  untilStatus,
  startRollback,
} from '../helpers/deploy-harness.js';

freshServerPerTest();

describe('rollback goes back, never forward (invariant 8)', () => {
  it('done, then rolled back: a plain rollback lands on the release before the done one, not the rejected build', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const [good, bad, back] = await withWorker(fleet, async (tq) => {
      const good = await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.script = (look) => (look.phase === 'canary' ? 'regression' : 'pass');
      const bad = await outcomeOf(await start(tq, config, 'v3', 2000));
      return [good, bad, await outcomeOf(await startRollback(tq, config))];
    });
    expect([good.outcome, bad.outcome, back.outcome]).toEqual(['done', 'rolled_back', 'done']);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
    // The rejected build is marked on every host that took it, switched or only staged.
    for (const h of fleet.hosts.values()) expect(h.rejected.has('v3')).toBe(true);
    expect(Object.values(back.switched)).toEqual(HOSTS.map(() => ({ from: 'v2', to: 'v1' })));
    expect(back.summary).toContain('8 from v2 to v1');
    expect(fleet.events.filter((e) => e.kind === 'flip' && e.revision === 'v3')).toHaveLength(2);
  });

  it('two plain rollbacks in a row go further back each time, then refuse', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      await outcomeOf(await start(tq, config, 'v3', 2000));
      const first = await outcomeOf(await startRollback(tq, config));
      const afterFirst = fleet.currents();
      const second = await outcomeOf(await startRollback(tq, config));
      const afterSecond = fleet.currents();
      const third = await outcomeOf(await startRollback(tq, config));
      return { first, second, third, afterFirst, afterSecond };
    });
    expect(Object.values(outcomes.afterFirst)).toEqual(HOSTS.map(() => 'v2'));
    expect(Object.values(outcomes.afterSecond)).toEqual(HOSTS.map(() => 'v1'));
    expect(outcomes.third.outcome).toBe('failed');
    expect(outcomes.third.summary).toContain('no host was switched: no rollback target on web-1');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('after an abort in the watch, a plain rollback skips the aborted build', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const outcomes = await withWorker(fleet, async (tq) => {
      const good = await outcomeOf(await start(tq, config, 'v2', 1000));
      const h = await start(tq, config, 'v3', 2000);
      // Midway between two watch looks (every 30 s from 2 min): an abort on
      // the very instant a look's timer fires made the time-skipping test
      // server reject a task completion ("invalid history builder state").
      await env.sleep('195 seconds');
      await untilStatus(h, (s) => s.phase === 'watching', 'the watch');
      await h.executeUpdate(abortUpdate, { args: [who] });
      const aborted = await outcomeOf(h);
      return [good, aborted, await outcomeOf(await startRollback(tq, config))];
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'aborted', 'done']);
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });

  it('a host that cannot be inspected: the rollback ends failed at once and switches no host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.failInspect.add('web-3');
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('failed');
    expect(back.summary).toBe(
      'no host was switched: cannot inspect web-3: cannot reach it over SSH (fake) [HOST_UNREACHABLE]',
    );
    expect(back.switched).toEqual({});
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    expect(fleet.events.filter((e) => e.kind === 'flip' && e.revision === 'v1')).toEqual([]);
  });

  it('--to a release one host does not keep: failed, and no host is switched', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      const h = fleet.hosts.get('web-6')!;
      h.releases = h.releases.filter((r) => r !== 'v1');
      return outcomeOf(await startRollback(tq, config, 'v1'));
    });
    expect(back.outcome).toBe('failed');
    expect(back.summary).toBe(
      'no host was switched: no rollback target on web-6 (v1 is not retained)',
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
  });

  it('a host added since the last deploy (nowhere to go back to) is skipped and named; the rest roll back, and the mixed fleet is said', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const grown = testConfig(config.cluster, [...HOSTS, 'web-9']);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      // web-9 joined the cluster after v2 went live: it only ever had v2.
      fleet.hosts.set('web-9', {
        current: 'v2',
        releases: ['v2'],
        rejected: new Set(),
        switches: [],
      });
      return outcomeOf(await startRollback(tq, grown));
    });
    expect(back.outcome).toBe('done');
    expect(fleet.currents()).toEqual({
      ...Object.fromEntries(HOSTS.map((h) => [h, 'v1'])),
      'web-9': 'v2',
    });
    expect(back.summary).toBe(
      'rolled back 8 hosts (8 from v2 to v1) by alice: test; NOT rolled back: web-9 (keeps no v1 (it keeps v2)), left on v2: the fleet is on v1 (8 host(s)) and v2 (web-9); to bring them along, deploy v1 again (phased deploy stages it on every host) or take them out of the cluster file',
    );
  });

  it('hosts whose own histories differ go to the release most of the fleet goes to, and the summary says which', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      await outcomeOf(await start(tq, config, 'v3', 2000));
      // web-4 was rebuilt and took v3 straight from v1: on its own it would go back two.
      const h = fleet.hosts.get('web-4')!;
      h.switches = [{ at: 3, from: 'releases/v1', to: 'releases/v3' }];
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    expect(back.summary).toContain('rolled back 8 hosts (8 from v3 to v2)');
    expect(back.summary).toContain(
      'web-4 (its own previous release: v1) went to v2 with the fleet',
    );
  });

  it('a flip that fails mid-rollback: the hosts it had switched are put back, none left half-way', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.failFlip.add('web-5@v1');
      return outcomeOf(await startRollback(tq, config));
    });
    expect(back.outcome).toBe('rolled_back');
    expect(back.summary).toBe(
      'rollback failed on web-5: flip failed (fake); the 7 switched hosts were put back',
    );
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v2'));
    // Each of the other hosts went to v1 and came back to v2, the release the operator left live.
    for (const name of HOSTS.filter((n) => n !== 'web-5')) {
      const flips = fleet.events.filter((e) => e.kind === 'flip' && e.host === name);
      expect(flips.map((e) => e.revision)).toEqual(['v2', 'v1', 'v2']);
    }
  });

  it("rollback --to a rejected release is the operator's explicit choice, and clears the mark", async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    const back = await withWorker(fleet, async (tq) => {
      await outcomeOf(await start(tq, config, 'v2', 1000));
      fleet.script = (look) => (look.phase === 'canary' ? 'regression' : 'pass');
      await outcomeOf(await start(tq, config, 'v3', 2000));
      return outcomeOf(await startRollback(tq, config, 'v3'));
    });
    expect(back.outcome).toBe('done');
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v3'));
    for (const h of fleet.hosts.values()) {
      expect(h.rejected.has('v3')).toBe(false);
      expect(h.rejected.has('v2')).toBe(true); // left by the operator's rollback
    }
  });
});

describe('a host that breaks mid-deploy is never reported live (invariant 9)', () => {
  it('within maxUnavailable: done, with the broken host named and not counted live', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS, { maxUnavailable: 1 });
    fleet.script = (look) => {
      // During the watch, someone points a canary's current elsewhere by hand.
      if (look.phase === 'watch' && look.index === 2)
        fleet.hosts.get(look.canary[0]!)!.current = null;
      return 'pass';
    };
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('done');
    expect(outcome.broken).toHaveLength(1);
    expect(outcome.broken[0]).toMatch(/^web-\d has no current/);
    expect(outcome.summary).toMatch(/v2 is live on 7 hosts; broken during the deploy: web-\d/);
  });

  it('beyond maxUnavailable: rolled back, and the summary names the host', async () => {
    const fleet = new FakeFleet(HOSTS);
    const config = testConfig(uniqueId('c'), HOSTS);
    let victim = '';
    fleet.script = (look) => {
      if (look.phase === 'watch' && look.index === 2) {
        victim = look.canary[0]!;
        fleet.hosts.get(victim)!.current = null;
      }
      return 'pass';
    };
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.summary).toContain(`1 host(s) broke during the deploy`);
    expect(outcome.summary).toContain(`${victim} has no current`);
    // Every host back on v1, the broken one included (its flip back restored a current).
    expect(Object.values(fleet.currents())).toEqual(HOSTS.map(() => 'v1'));
  });
});

describe('a canary that loses its traffic is a regression (real judge)', () => {
  const FLEET = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
  const good = { rps: 100, errorRate: 0.01 };

  async function deployWith(
    serving: FakeFleet['serving'],
    canary = 5,
    overrides: Record<string, unknown> = {},
  ) {
    const fleet = new FakeFleet(FLEET);
    fleet.serving = serving;
    const config = servingConfig(uniqueId('c'), FLEET, { canary: { size: canary }, ...overrides });
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    return { fleet, outcome };
  }

  it('a release whose web server does not start: rolled back at the first look, every canary named', async () => {
    const { fleet, outcome } = await deployWith((_, release) =>
      release === 'v2' ? 'silent' : good,
    );
    expect(outcome.outcome).toBe('rolled_back');
    expect(fleet.judged).toHaveLength(1);
    const canaries = fleet.judged[0]!.canary;
    expect(outcome.verdicts[0]!.verdict).toBe('regression');
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toContain('-> regression: traffic lost on 5 of 5 switched hosts');
    for (const c of canaries) expect(line).toContain(`${c} stopped answering probes`);
    expect(Object.values(fleet.currents())).toEqual(FLEET.map(() => 'v1'));
  });

  it('one of five canaries serving nothing: rolled back, that host named', async () => {
    let dead = '';
    const { fleet, outcome } = await deployWith((host, release) => {
      if (release !== 'v2') return good;
      dead ||= host;
      return host === dead ? { rps: 0, errorRate: 0 } : good;
    });
    expect(outcome.outcome).toBe('rolled_back');
    expect(fleet.judged).toHaveLength(1);
    // Stopped by the early look at the soak's first reading, not at its end.
    expect(outcome.verdicts[0]).toMatchObject({ phase: 'canary', reading: 1 });
    expect(outcome.timings.judging).toBeUndefined();
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toMatch(
      new RegExp(`-> regression: traffic lost on 1 of 5 switched hosts \\(${dead} 0/s, x0\\.00`),
    );
  });

  it('one canary at a third of its traffic: rolled back', async () => {
    let slow = '';
    const { outcome } = await deployWith((host, release) => {
      if (release !== 'v2') return good;
      slow ||= host;
      return host === slow ? { rps: 33, errorRate: 0.01 } : good;
    });
    expect(outcome.outcome).toBe('rolled_back');
    const line = outcome.verdicts[0]!.metrics.find((m) => m.startsWith('requests:'))!;
    expect(line).toContain(`traffic lost on 1 of 5 switched hosts (${slow} 3`);
  });

  // One deploy per test: each test has its own test server (see withWorker).
  it('x5 errors stop the soak at its first reading', async () => {
    const early = await deployWith((_, release) =>
      release === 'v2' ? { rps: 100, errorRate: 0.05 } : good,
    );
    expect(early.outcome.outcome).toBe('rolled_back');
    expect(early.outcome.verdicts).toHaveLength(1);
    expect(early.outcome.verdicts[0]).toMatchObject({ phase: 'canary', reading: 1 });
    expect(early.outcome.verdicts[0]!.metrics[0]).toMatch(
      /^errors: canary 5(\.\d+)?% vs control 1/,
    );
    expect(early.outcome.timings.judging).toBeUndefined();
  });

  it('x1.5 errors wait for the look that decides', async () => {
    // Whatever the looks decide, this deploy must end: it is the looks it took that count.
    const late = await deployWith(
      (_, release) => (release === 'v2' ? { rps: 100, errorRate: 0.015 } : good),
      5,
      { onInconclusive: 'proceed' },
    );
    // Not overwhelming at the first reading: the soak runs to its end, where the look decides.
    expect(late.fleet.judged.map((j) => j.reading ?? 'end')).toEqual(
      expect.arrayContaining([1, 'end']),
    );
    expect(late.outcome.verdicts[0]!.reading).toBeUndefined();
  });

  it('a release that serves like the old one goes live, every look passing on traffic and errors', async () => {
    const { outcome } = await deployWith(() => good);
    expect(outcome.outcome).toBe('done');
    expect(outcome.verdicts.map((v) => `${v.phase} ${v.verdict}`)).toEqual([
      'canary pass',
      ...Array.from({ length: 4 }, () => 'watch pass'),
    ]);
    for (const v of outcome.verdicts)
      expect(v.metrics.find((m) => m.startsWith('requests:'))).toMatch(/-> pass$/);
  });
});

describe('a watch look short of exposure waits for exposure (real judge)', () => {
  const FLEET = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);
  // 10 requests/s per host: the 5 canaries see 9,000 requests in a 3-minute
  // soak, the watch's switched hosts about 5,000 in its first 30 s.
  const quiet = { rps: 10, errorRate: 0.05 };
  const errors = (minExposure: number) => [{ ...servingErrors, minExposure }];
  const deploy = async (minExposure: number, soak: string) => {
    const fleet = new FakeFleet(FLEET);
    fleet.serving = () => quiet;
    const config = servingConfig(uniqueId('c'), FLEET, {
      canary: { size: 5 },
      metrics: errors(minExposure),
      notify: [{ url: 'http://hooks.example/deploys' }],
      durations: { baseline: '60s', soak, watch: '120s', lookEvery: '30s', soakLookEvery: '30s' },
    });
    // A pause nobody answers ends at the pauseTimeout (the test server skips the wait).
    const outcome = await withWorker(fleet, async (tq) => outcomeOf(await start(tq, config)));
    return { fleet, outcome };
  };

  it('a look before the last waits (recorded, webhooks told) and a later look decides: no pause', async () => {
    const { fleet, outcome: o } = await deploy(8000, '3m');
    expect(o.outcome).toBe('done');
    const watch = o.verdicts.filter((v) => v.phase === 'watch');
    expect(watch[0]).toMatchObject({ look: 1, verdict: 'inconclusive', waiting: true });
    expect(watch[0]!.reason).toMatch(/^waiting for exposure until the next look: /);
    expect(watch[0]!.metrics[0]).toMatch(/since the switch, needs 8000 \(minExposure\)$/);
    expect(watch.slice(1).map((v) => v.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(o.actions).toEqual([]);
    const told = fleet.notifications.filter((n) => n.phased.event === 'inconclusive');
    expect(told).toHaveLength(1);
    expect(told[0]!.phased).toMatchObject({
      phase: 'watch',
      look: 1,
      action: 'waiting for the next look',
    });
    expect(told[0]!.text).toContain('needs 8000 (minExposure)');
  });

  it('still short at the last look: the policy decides (a pause, here unanswered), and the pause notice carries the numbers', async () => {
    // A 10-minute soak gives the canaries 30,000 requests; the whole 2-minute watch about 20,000.
    const { fleet, outcome: o } = await deploy(25_000, '10m');
    const watch = o.verdicts.filter((v) => v.phase === 'watch');
    expect(watch.map((v) => Boolean(v.waiting))).toEqual([true, true, true, false]);
    expect(o.outcome).toBe('rolled_back');
    expect(o.summary).toMatch(
      /^paused for 30m with nobody answering \(inconclusive watch verdict: /,
    );
    const paused = fleet.notifications.find((n) => n.phased.event === 'paused');
    expect(paused?.text).toContain('needs 25000 (minExposure)');
  });
});
