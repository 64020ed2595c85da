// The judge end to end on literal fleets: verdicts, their reasons and numbers.
import { describe, expect, it } from 'vitest';
import { classifyMetric } from '../../../src/judge/classify-metric.js';
import { DEFAULTS } from '../../../src/core/defaults.js';
import {
  judge,
  judgeWatchLook,
  metricThresholds,
  withTrafficMetrics,
  type HostSeries,
  type JudgeInput,
  type MetricSpec,
} from '../../../src/judge/index.js';

const series = ['http_5xx', 'http_requests', 'latency_ms'];

const errors: MetricSpec = {
  name: 'http_5xx',
  kind: 'counter',
  series: 'http_5xx',
  exposure: 'http_requests',
  worse: 'higher',
  tolerance: 0.2,
  critical: true,
};
const latency: MetricSpec = {
  name: 'latency_ms',
  kind: 'gauge',
  series: 'latency_ms',
  worse: 'higher',
  tolerance: 0.05,
  critical: false,
};

/** A host with 10,000 requests per window at the given error rates and latencies. */
function host(
  name: string,
  rates: { before: number; after: number },
  latencyMs: { before: number; after: number } = { before: 100, after: 100 },
): HostSeries {
  const window = (t0: number, rate: number, lat: number, e0: number, r0: number) => [
    { t: t0, v: [e0, r0, lat] },
    { t: t0 + 60_000, v: [e0 + Math.round(rate * 10_000), r0 + 10_000, lat] },
  ];
  const before = window(0, rates.before, latencyMs.before, 0, 0);
  const last = before[1]!.v;
  return {
    host: name,
    before,
    after: window(60_000, rates.after, latencyMs.after, last[0]!, last[1]!),
  };
}

function fleet(
  canaryAfterRate: number,
  canaryLatency = 100,
): Pick<JudgeInput, 'canary' | 'control'> {
  const canary = [0, 1, 2, 3, 4].map((i) =>
    host(
      `c${i}`,
      { before: 0.01, after: canaryAfterRate },
      { before: 100 + i, after: canaryLatency + i },
    ),
  );
  const control = Array.from({ length: 40 }, (_, i) =>
    host(
      `h${i}`,
      { before: 0.01 + (i % 5) * 0.0005, after: 0.01 + ((i + 2) % 5) * 0.0005 },
      { before: 90 + (i % 20), after: 90 + ((i * 7) % 20) * 1.01 },
    ),
  );
  return { canary, control };
}

const input = (
  f: Pick<JudgeInput, 'canary' | 'control'>,
  metrics: MetricSpec[] = [errors, latency],
): JudgeInput => ({
  series,
  metrics,
  alpha: 0.0005,
  ...f,
});

describe('judge', () => {
  it('passes a canary that behaves like the fleet, explaining each metric', () => {
    const v = judge(input(fleet(0.01)));
    expect(v.verdict).toBe('pass');
    expect(v.metrics.map((m) => m.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(v.metrics[0]!.reason).toMatch(
      /^http_5xx: canary 1% vs control 1\.\d% \(x[01]\.\d\d vs own baselines, tolerated x1\.20\), p=[\d.e-]+ >= 0\.00022 -> pass$/,
    );
  });

  it('rolls back a critical error-rate regression, with its numbers as data', () => {
    const v = judge(input(fleet(0.021)));
    expect(v.verdict).toBe('regression');
    const m = v.metrics[0]!;
    expect(m.verdict).toBe('regression');
    expect(m.reason).toMatch(
      /^http_5xx: canary 2\.1% vs control 1\.\d% \(x2\.\d vs own baselines, tolerated x1\.20\), p=[\d.]+e-\d+ < 0\.00022 -> regression$/,
    );
    expect(m.evidence).toMatchObject({
      test: 'rate-ratio-did',
      canaryAfter: 0.021,
      toleratedRatio: 1.2,
      canaryHosts: 5,
      controlHosts: 40,
    });
    expect(m.evidence.threshold).toBeCloseTo(0.000225, 12);
    expect(m.evidence.pValue!).toBeLessThan(0.000225);
    expect(m.evidence.ratio!).toBeGreaterThan(1.9);
  });

  it('shows more than one event per unit of exposure as "per <exposure>", not as a percentage', () => {
    const msPerRequest: MetricSpec = { ...errors, name: 'duration_ms', critical: false };
    const canary = Array.from({ length: 5 }, (_, i) => host(`c${i}`, { before: 5, after: 5 }));
    const control = Array.from({ length: 20 }, (_, i) =>
      host(`h${i}`, { before: 5, after: 5 + (i % 3) * 0.01 }),
    );
    const v = judge(input({ canary, control }, [msPerRequest]));
    expect(v.metrics[0]!.reason).toMatch(
      /^duration_ms: canary 5 per http_requests vs control 5\.\d+ per http_requests \(x/,
    );
  });

  it('passes a change within the tolerated effect (+3% on a metric that tolerates +20%)', () => {
    const v = judge(input(fleet(0.0103)));
    expect(v.metrics[0]!.verdict).toBe('pass');
  });

  it('asks a human when only one non-critical metric regressed', () => {
    const v = judge(input(fleet(0.01, 150)));
    expect(v.metrics.map((m) => m.verdict)).toEqual(['pass', 'regression', 'pass']);
    expect(v.metrics[1]!.reason).toMatch(
      /^latency_ms: canary 15\d vs control [\d.]+ \(x1\.\d+ vs own baselines, tolerated x1\.05\), rank p=[\d.e-]+ < 0\.00022 -> regression$/,
    );
    expect(v.verdict).toBe('inconclusive');
    expect(v.reason).toContain('one non-critical metric regressed (latency_ms)');
  });

  it('rolls back when two non-critical metrics regress', () => {
    const v = judge(input(fleet(0.03, 150), [{ ...errors, critical: false }, latency]));
    expect(v.verdict).toBe('regression');
    expect(v.reason).toBe('2 metrics regressed: http_5xx, latency_ms');
  });

  it('is inconclusive, never a silent pass, when the canary saw too few requests', () => {
    const f = fleet(0.01);
    const v = judge(input(f, [{ ...errors, minExposure: 1_000_000 }]));
    expect(v.verdict).toBe('inconclusive');
    expect(v.metrics[0]!.reason).toBe(
      'http_5xx: inconclusive: canary saw 50000 http_requests since the switch, needs 1000000 (minExposure)',
    );
    // Time answers this, not a person: the watch waits for its next look.
    expect(v.metrics[0]!.shortOfExposure).toBe(true);
    expect(v.waitsForExposure).toBe(true);
  });

  it('with requireEnoughData, passes only when the window could have shown x2 beyond the tolerance', () => {
    // 10,000 requests at 1% per host: 500 errors on 5 canaries, plenty.
    const busy = judge({ ...input(fleet(0.01)), requireEnoughData: true });
    expect(busy.metrics[0]!.verdict).toBe('pass');
    // The same traffic at 0.02% errors: about 12 expected errors at +20% on the canaries.
    const thin = (h: HostSeries): HostSeries => ({
      ...h,
      before: h.before.map((s) => ({ ...s, v: [Math.round(s.v[0]! / 50), s.v[1]!, s.v[2]!] })),
      after: h.after.map((s) => ({ ...s, v: [Math.round(s.v[0]! / 50), s.v[1]!, s.v[2]!] })),
    });
    const f = fleet(0.01);
    const v = judge({
      ...input({ canary: f.canary.map(thin), control: f.control.map(thin) }),
      requireEnoughData: true,
    });
    expect(v.metrics[0]!.verdict).toBe('inconclusive');
    expect(v.waitsForExposure).toBeUndefined();
    expect(v.metrics[0]!.reason).toMatch(
      /^http_5xx: inconclusive: not enough data to pass: the canary's window expected 1\d\.?\d* events at the tolerated rate, a pass needs \d+ \(so that x2 beyond the tolerance would reach p < 0\.00022 half the time\): about [\d.]+ times this window's traffic or time$/,
    );
    expect(v.verdict).toBe('inconclusive');
  });

  it("is inconclusive when a metric's probe failed on too many canary hosts", () => {
    const f = fleet(0.05);
    for (const h of f.canary.slice(0, 2)) for (const s of h.after) s.v = [null, s.v[1]!, null];
    // The probe said why on c1 (the judge quotes its latest reason); c0's readings are just gone.
    f.canary[1]!.after[0]!.e = [
      'probe errors: connection refused',
      null,
      'probe latency: timed out',
    ];
    f.canary[1]!.after[1]!.e = ['probe errors: cannot scrape: connection refused', null, null];
    const v = judge(input(f));
    expect(v.verdict).toBe('inconclusive');
    expect(v.metrics[0]!.reason).toBe(
      'http_5xx: inconclusive: data missing on 2 of 5 canary hosts (limit 25%): c0, c1 (probe errors: cannot scrape: connection refused)',
    );
    expect(v.metrics[1]!.reason).toBe(
      'latency_ms: inconclusive: data missing on 2 of 5 canary hosts (limit 25%): c0, c1 (probe latency: timed out)',
    );
  });

  it('uses a t-test on the per-host changes where ranks cannot reach the threshold (1 canary, 7 controls)', () => {
    const small = (canaryLatency: number) => {
      const f = fleet(0.01, canaryLatency);
      return judge(
        input({ canary: f.canary.slice(0, 1), control: f.control.slice(0, 7) }, [latency]),
      ).metrics[0]!;
    };
    const same = small(100);
    expect(same.verdict).toBe('pass');
    expect(same.evidence.test).toBe('t-did');
    expect(same.reason).toMatch(/, t-test p=[\d.e-]+ >= 0\.0005 -> pass$/);
    const slow = small(300);
    expect(slow.verdict).toBe('regression');
    expect(slow.reason).toMatch(
      /^latency_ms: canary 300 vs control [\d.]+ \(x[23]\.\d vs own baselines, tolerated x1\.05\), t-test p=[\d.e-]+ < 0\.0005 -> regression$/,
    );
  });

  it('judges "lower is worse" metrics in that direction', () => {
    const throughput: MetricSpec = { ...errors, name: 'orders', worse: 'lower' };
    expect(judge(input(fleet(0.021), [throughput])).verdict).toBe('pass');
    expect(judge(input(fleet(0.004), [throughput])).verdict).toBe('regression');
  });

  it('names a metric whose series was never sampled', () => {
    expect(() => judge(input(fleet(0.01), [{ ...errors, series: 'nope' }]))).toThrow(
      'metric series nope is not among the sampled series',
    );
  });

  describe('traffic', () => {
    /** Readings every 10 s: `rps` requests/s at 1% errors, before (60 s) and after (60 s). */
    function served(name: string, rps: { before: number; after: number }, i = 0): HostSeries {
      const snaps = (t0: number, r0: number, rate: number) =>
        Array.from({ length: 7 }, (_, k) => {
          // Hosts differ a little from one 10 s interval to the next.
          const r = r0 + Math.round(rate * 10 * k * (1 + ((i + k) % 3) * 0.01));
          return { t: t0 + k * 10_000, v: [Math.round(r / 100), r, 100] as (number | null)[] };
        });
      const before = snaps(0, 0, rps.before);
      const r0 = before[6]!.v[1]!;
      return { host: name, before, after: snaps(60_000, r0, rps.after) };
    }
    const fleetOf = (canaryAfter: number[], controlAfter = 100) => ({
      canary: canaryAfter.map((after, i) => served(`c${i}`, { before: 100, after }, i)),
      control: Array.from({ length: 20 }, (_, i) =>
        served(`h${i}`, { before: 100 + i, after: (controlAfter * (100 + i)) / 100 }, i),
      ),
    });
    const traffic = (v: ReturnType<typeof judge>) =>
      v.metrics.find((m) => m.metric === 'http_requests')!;

    it('judges the exposure series as traffic when no traffic metric is declared', () => {
      const v = judge(input(fleetOf([100, 100, 100, 100, 100])));
      expect(v.verdict).toBe('pass');
      expect(traffic(v).verdict).toBe('pass');
      expect(traffic(v).reason).toMatch(
        /^http_requests: canary 10\d\/s vs control 1\d\d\/s \(own baseline 10\d\/s\), lowest host x[01]\.\d\d vs own baseline, tolerated a drop to x0\.50 -> pass$/,
      );
    });

    it('rolls back when one of five canaries serves nothing, naming it', () => {
      const v = judge(input(fleetOf([100, 100, 0, 100, 100])));
      expect(v.verdict).toBe('regression');
      expect(v.reason).toBe('critical metric regressed: http_requests');
      expect(traffic(v).reason).toMatch(
        /^http_requests: canary 8[\d.]+\/s vs control 1\d\d\/s \(own baseline 10\d\/s\) -> regression: traffic lost on 1 of 5 switched hosts \(c2 0\/s, x0\.00\d* of its baseline vs control, p=/,
      );
      expect(traffic(v).evidence.detail.lostHosts).toBe(1);
    });

    it('rolls back when every canary serves nothing', () => {
      const v = judge(input(fleetOf([0, 0, 0, 0, 0])));
      expect(v.verdict).toBe('regression');
      expect(traffic(v).reason).toContain('canary 0/s vs control');
      expect(traffic(v).reason).toContain('traffic lost on 5 of 5 switched hosts');
    });

    it('rolls back when one canary serves a third of its traffic', () => {
      const v = judge(input(fleetOf([100, 100, 100, 33, 100])));
      expect(v.verdict).toBe('regression');
      expect(traffic(v).reason).toContain(
        'traffic lost on 1 of 5 switched hosts (c3 33/s, x0.33 of its baseline vs control',
      );
    });

    it('counts a canary that stopped answering probes as lost, not as missing data', () => {
      const f = fleetOf([100, 100, 100, 100, 100]);
      for (const s of f.canary[1]!.after.slice(2)) s.v = [null, null, null];
      const v = judge(input(f));
      expect(v.verdict).toBe('regression');
      expect(traffic(v).reason).toContain(
        'traffic lost on 1 of 5 switched hosts (c1 stopped answering probes)',
      );
    });

    it('counts a canary the metrics store holds no data for as missing data, not as lost traffic', () => {
      const f = fleetOf([100, 100, 100, 100, 100]);
      for (const s of f.canary[1]!.after.slice(2)) {
        s.v = [null, null, null];
        const why = 'probe promql: no data (stale or absent) for http_requests (no host="c1")';
        s.e = [why, why, why];
      }
      const v = judge(input(f));
      expect(traffic(v).reason).not.toContain('stopped answering probes');
      expect(traffic(v).evidence.detail.silentHosts).toBe(0);
      expect(v.verdict).not.toBe('regression');
    });

    it('gives the own baseline of canaries that all stopped answering, not 0/s', () => {
      const f = fleetOf([100, 100, 100, 100, 100]);
      for (const h of f.canary) for (const s of h.after.slice(2)) s.v = [null, null, null];
      const t = traffic(judge(input(f)));
      expect(t.verdict).toBe('regression');
      expect(t.reason).toMatch(
        /^http_requests: canary 0\/s vs control 1\d\d\/s \(own baseline 10\d\/s\)/,
      );
      expect(t.reason).toContain('traffic lost on 5 of 5 switched hosts');
    });

    it('follows the fleet: a drop everywhere (time of day) is not a loss', () => {
      expect(traffic(judge(input(fleetOf([60, 61, 59, 60, 60], 60)))).verdict).toBe('pass');
    });

    it('tolerates a drop smaller than the tolerance (x0.7 of its baseline)', () => {
      expect(traffic(judge(input(fleetOf([100, 70, 100, 100, 100])))).verdict).toBe('pass');
    });

    it('cannot decide when the control stopped answering', () => {
      const f = fleetOf([0, 0, 0, 0, 0]);
      for (const h of f.control.slice(0, 10)) for (const s of h.after) s.v = [null, null, null];
      const t = traffic(judge(input(f)));
      expect(t.verdict).toBe('inconclusive');
      expect(t.reason).toBe(
        'http_requests: inconclusive: 10 of 20 control hosts have traffic readings, needs 15',
      );
    });

    it('is inconclusive, not a pass, when traffic is too thin to tell a dead host', () => {
      const thin = (name: string, rps: number): HostSeries => ({
        host: name,
        before: [
          { t: 0, v: [0, 0, 100] },
          { t: 60_000, v: [0, Math.round(rps * 60), 100] },
        ],
        after: [
          { t: 60_000, v: [0, Math.round(rps * 60), 100] },
          { t: 70_000, v: [0, Math.round(rps * 70), 100] },
        ],
      });
      const f = {
        canary: [thin('c0', 0.05)],
        control: Array.from({ length: 10 }, (_, i) => thin(`h${i}`, 0.05)),
      };
      const t = traffic(judge(input(f)));
      expect(t.verdict).toBe('inconclusive');
      expect(t.reason).toMatch(
        /^http_requests: inconclusive: too little traffic to tell a dead host: 1 of 1 switched hosts expected [\d.]+ requests or fewer at the tolerated drop/,
      );
    });

    it('uses a declared traffic metric instead of deriving one', () => {
      const declared: MetricSpec = {
        name: 'served',
        kind: 'traffic',
        series: 'http_requests',
        worse: 'lower',
        tolerance: 0.2,
        critical: true,
      };
      const v = judge(input(fleetOf([100, 50, 100, 100, 100]), [errors, declared]));
      expect(v.metrics.map((m) => m.metric)).toEqual(['http_5xx', 'served']);
      expect(v.verdict).toBe('regression');
      expect(v.metrics[1]!.reason).toContain('tolerated a drop to x0.80');
    });
  });
});

describe('a cluster without metrics', () => {
  it('passes every look as the timed wait `phased plan` promises, never pausing for a human', () => {
    const v = judge(input(fleet(0.5), []));
    expect(v.verdict).toBe('pass');
    expect(v.reason).toBe('no metrics to judge: a timed wait');
    expect(v.metrics).toEqual([]);
  });
});

describe('per-host cells', () => {
  it('judged host by host, every metric says what it says judged on its own', () => {
    // judge() reduces each host to its cells for every metric in one pass;
    // classifyMetric without cells walks the readings metric by metric.
    const f = fleet(0.03, 112);
    const lost = f.canary[1]!;
    f.canary[1] = {
      ...lost,
      after: lost.after.map((s) => ({ ...s, v: [s.v[0]!, null, s.v[2]!] })),
    };
    const all = withTrafficMetrics([errors, latency]);
    const column = (name: string) => series.indexOf(name);
    const thresholds = metricThresholds(all, 0.0005);
    const { minCanaryHosts, minControlHosts, maxMissingFraction } = DEFAULTS.judge;
    const alone = all.map((m, i) =>
      classifyMetric(m, {
        column,
        canary: f.canary,
        control: f.control,
        threshold: thresholds[i]!,
        limits: { minCanaryHosts, minControlHosts, maxMissingFraction },
      }),
    );
    const together = judge(input(f));
    expect(together.metrics).toEqual(alone);
    // Errors x3 regress; latency +12% is within what the controls wander;
    // c1 stopped answering its request probe: traffic lost.
    expect(together.metrics.map((m) => m.verdict)).toEqual(['regression', 'pass', 'regression']);
  });
});

describe('judgeWatchLook', () => {
  const recent = (f: Pick<JudgeInput, 'canary' | 'control'>) => ({
    input: input(f),
    label: 'last 60s',
  });

  it('rolls back on a regression only the recent window shows, and says which window', () => {
    const v = judgeWatchLook(input(fleet(0.01)), recent(fleet(0.03)));
    expect(v.verdict).toBe('regression');
    expect(v.reason).toBe('last 60s: critical metric regressed: http_5xx');
    expect(v.metrics[0]!.reason).toMatch(/^last 60s: http_5xx: canary 3% vs control/);
    expect(v.alpha).toBeCloseTo(0.001, 15);
  });

  it('lets the window since the switch decide pass or pause', () => {
    const pass = judgeWatchLook(input(fleet(0.01)), recent(fleet(0.01)));
    expect(pass.verdict).toBe('pass');
    expect(pass.metrics[0]!.reason).toMatch(/^http_5xx: /);
    // A recent window too thin to decide does not pause a watch the whole window passes.
    const thin = fleet(0.01);
    const undecided = judgeWatchLook(
      input(fleet(0.01)),
      recent({ canary: thin.canary.map((h) => ({ ...h, after: [] })), control: thin.control }),
    );
    expect(undecided.verdict).toBe('pass');
    // A regression in the whole window stands on its own.
    expect(judgeWatchLook(input(fleet(0.03)), recent(fleet(0.01))).verdict).toBe('regression');
    expect(judgeWatchLook(input(fleet(0.03))).reason).toBe('critical metric regressed: http_5xx');
  });
});
