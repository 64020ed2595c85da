// The demo scenario end to end, every part real: loopback sshd hosts (or
// local directories without OpenSSH), web servers that load their release
// and reload it when the afterSwitch hook asks,
// traffic, the worker with the real activities, the deploy workflow on the
// shared Temporal server, and the judge. A good build goes live everywhere;
// a bad one is caught in the canary and rolled back on its own, and one whose
// web server does not start fails its health check and is rolled back before
// any traffic is judged. Every series comes from a Prometheus the demo runs,
// which scrapes the web servers; each deploy reads its baseline from it.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { existingServer } from '../../src/app/devserver.js';
import { runDemo, type DemoResult } from '../../src/app/demo/run.js';
import { sshdAvailable } from '../../src/app/demo/sshd-fleet.js';
import { sharedServer } from '../helpers/temporal.js';

let result: DemoResult;

beforeAll(async () => {
  const { address } = sharedServer();
  const server = existingServer({
    ...process.env,
    TEMPORAL_ADDRESS: address,
    PHASED_TASK_QUEUE: `demo-e2e-${process.pid}`,
  });
  result = await runDemo({
    server,
    hosts: 8,
    firstOctet: 81,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    log: () => {},
  });
}, 300_000);

describe('the demo: a good build goes live, a bad one is rolled back on its own', () => {
  it('reaches the hosts over SSH when OpenSSH server is installed', () => {
    expect(result.transport).toBe(sshdAvailable() ? 'ssh' : 'local');
  });

  it('reads every series from the Prometheus it runs, so no deploy waits out its baseline', () => {
    // scripts/setup.sh installs Debian's prometheus; the demo then reads from it by default.
    expect(result.metrics).toBe('prometheus');
    for (const { outcome } of [result.good, result.bad])
      expect(outcome.timings.canary! - outcome.timings.baseline!).toBeLessThan(5_000);
  });

  it('ends with the good build live on every host', () => {
    expect(Object.keys(result.currents)).toHaveLength(8);
    expect(Object.values(result.currents)).toEqual(Array(8).fill('good'));
  });

  it('Temporal records the good deploy as done and the bad one as rolled back', () => {
    expect(result.good.outcome).toMatchObject({
      outcome: 'done',
      summary: 'good is live on 8 hosts',
    });
    expect(result.good.currents).toEqual(result.currents);
    expect(result.bad.outcome.outcome).toBe('rolled_back');
    expect(result.bad.outcome.rolledBack).toHaveLength(2);
  });

  it('the verdicts carry their evidence: the canary passed good and caught the http_5xx regression of bad', () => {
    const goodCanary = result.good.outcome.verdicts.filter((v) => v.phase === 'canary');
    expect(goodCanary.at(-1)!.verdict).toBe('pass');
    const badCanary = result.bad.outcome.verdicts.find((v) => v.phase === 'canary');
    expect(badCanary!.verdict).toBe('regression');
    const http5xx = badCanary!.metrics.find((m) => m.startsWith('http_5xx'))!;
    expect(http5xx).toMatch(/^http_5xx: canary [\d.]+% vs control [\d.]+% .* -> regression$/);
    const [canaryRate, controlRate] = [...http5xx.matchAll(/([\d.]+)%/g)].map((m) => Number(m[1]));
    expect(canaryRate).toBeGreaterThan(3 * controlRate!);
  });

  it('no request failed because of a flip: every failure is a deliberate one, and bad errors only came from canaries', () => {
    const record = result.traffic;
    expect(record.length).toBeGreaterThan(8 * 50 * 60);
    // Every request got an answer from a release (no refused or reset
    // connection, no 503), except on the canaries of the build that does not start.
    const crashCanaries = new Set(result.crash.outcome.rolledBack);
    const unanswered = record.filter((r) => r.status === 0 || r.release === null);
    expect(unanswered.filter((r) => !crashCanaries.has(r.host))).toEqual([]);
    expect(unanswered.length).toBeGreaterThan(0);
    expect(new Set(record.map((r) => r.status))).toEqual(new Set([0, 200, 500]));
    // Only the bad build answers more than the 2% base rate of 500s...
    const rate = (release: string) => {
      const rs = record.filter((r) => r.release === release);
      return rs.filter((r) => r.status === 500).length / rs.length;
    };
    expect(rate('v1')).toBeLessThan(0.025);
    expect(rate('good')).toBeLessThan(0.025);
    expect(rate('bad')).toBeGreaterThan(0.15);
    // ...and only on the canaries, while they ran it.
    const badHosts = new Set(record.filter((r) => r.release === 'bad').map((r) => r.host));
    expect([...badHosts].sort()).toEqual([...result.bad.outcome.rolledBack].sort());
  });

  it('a build whose web server does not start fails its health check and is rolled back before any traffic is judged', () => {
    const { outcome } = result.crash;
    expect(outcome.outcome).toBe('rolled_back');
    expect(outcome.rolledBack).toHaveLength(2);
    expect(outcome.verdicts).toEqual([]);
    expect(outcome.summary).toMatch(
      /^switching canary failed on 2 host\(s\): web-\d: not healthy within 5s on crash \(\d+ checks; the last: http:\/\/[\d.]+:\d+\/healthz: .*\) \[HEALTH_CHECK_FAILED\]/,
    );
    // Back on good, reloaded by the afterRollback hook: the crash canaries serve again.
    expect(result.crash.currents).toEqual(result.good.currents);
    const last = new Map(result.traffic.map((r) => [r.host, r.release]));
    for (const host of outcome.rolledBack) expect(last.get(host)).toBe('good');
  });
});
