// The judges the benchmark compares, all over the same simulated traces:
// phased's judge (through its real code) and four simple peers.
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import {
  alphaForLook,
  judge,
  judgeWatchLook,
  metricColumns,
  type HostSeries,
  type MetricSpec,
  type Snapshot,
} from '../../src/judge/index.js';
import { tUpperTail } from '../../src/stats/distributions.js';
import { mannWhitneyGreater } from '../../src/stats/mann-whitney.js';
import { compactValue, exactColumns } from '../../activities/metrics.js';
import { readingsOf, type FleetParams, type Look, type Trace } from './simulate.js';

export type LookVerdict = 'pass' | 'regression' | 'inconclusive';

export interface BenchJudge {
  name: string;
  description: string;
  /** Prepares per-deploy state once, then judges each look. */
  forDeploy(p: FleetParams, trace: Trace, looks: Look[]): (look: Look) => LookVerdict;
}

// --- phased ---------------------------------------------------------------

export const PHASED_METRICS: MetricSpec[] = [
  {
    name: 'errors',
    kind: 'counter',
    series: 'errors',
    exposure: 'requests',
    worse: 'higher',
    tolerance: 0.2,
    critical: true,
  },
  {
    name: 'latency',
    kind: 'gauge',
    series: 'latency',
    worse: 'higher',
    tolerance: 0.05,
    critical: true,
  },
];
export const ALPHA = 0.001;

/** On fleets that expose a latency histogram, phased also judges its p99. */
export const p99Metric = (bounds: number[]): MetricSpec => ({
  name: 'latency_p99',
  kind: 'quantile',
  series: 'latency_hist',
  quantile: 0.99,
  buckets: bounds,
  worse: 'higher',
  tolerance: 0.2,
  critical: true,
});

/**
 * On a fleet whose counters are long-lived (FleetParams.counterAgeSec), the
 * mean latency is judged as a Prometheus summary gives it: the increase of
 * its `_sum` (seconds) over the increase of the request count.
 */
const LATENCY_FROM_SUM: MetricSpec = {
  name: 'latency',
  kind: 'gauge',
  series: 'latency_sum',
  per: 'requests',
  worse: 'higher',
  tolerance: 0.05,
  critical: true,
};

const columnsOf = (metrics: MetricSpec[]) => [
  'errors',
  'requests',
  'latency',
  'latency_sum',
  ...metrics.flatMap((m) => (m.kind === 'quantile' ? metricColumns(m) : [])),
];

/**
 * Readings every interval boundary: cumulative counters (from `age` seconds
 * of traffic before the deploy at the host's first interval's rates), the
 * last interval's mean latency, the latency `_sum` in seconds, and the
 * cumulative histogram buckets when the fleet has them. Each value as the
 * sampling activity sends it to the judge: counters exact, levels rounded
 * (compactValue).
 */
function snapshots(
  trace: Trace,
  h: number,
  intervalSec: number,
  nb: number,
  exact: Set<string>,
  series: string[],
  age = 0,
): Snapshot[] {
  const j0 = h * trace.intervals;
  const past = age / intervalSec;
  let e = Math.round(trace.errors[j0]! * past);
  let r = Math.round(trace.requests[j0]! * past);
  let sum = (trace.requests[j0]! * past * trace.latency[j0]!) / 1000;
  const cum = new Array<number>(nb).fill(0);
  if (age > 0) {
    let upTo = 0;
    for (let b = 0; b < nb; b++) {
      upTo += trace.buckets![j0 * nb + b]!;
      cum[b] = Math.round(upTo * past);
    }
  }
  const wire = (v: (number | null)[]) =>
    v.map((x, i) => (exact.has(series[i]!) ? x : compactValue(x)));
  const out: Snapshot[] = [{ t: 0, v: wire([e, r, null, sum, ...cum]) }];
  for (let i = 0; i < trace.intervals; i++) {
    const j = j0 + i;
    e += trace.errors[j]!;
    r += trace.requests[j]!;
    sum += (trace.requests[j]! * trace.latency[j]!) / 1000;
    // Buckets are cumulative in `le` and in time, as a Prometheus histogram is.
    let upTo = 0;
    for (let b = 0; b < nb; b++) {
      upTo += trace.buckets![j * nb + b]!;
      cum[b]! += upTo;
    }
    out.push({ t: (i + 1) * intervalSec * 1000, v: wire([e, r, trace.latency[j]!, sum, ...cum]) });
  }
  return out;
}

/** phased's judge with the error-rate metric tolerating `errorTolerance`. */
function phasedJudge(name: string, errorTolerance: number): BenchJudge {
  const base = PHASED_METRICS.map((m) =>
    m.name === 'errors' ? { ...m, tolerance: errorTolerance } : m,
  );
  return {
    name,
    description: `DiD quasi-Poisson rate ratio (errors/request, tolerated +${errorTolerance * 100}%) + DiD rank test (latency, tolerated +5%) + per-host traffic loss (requests, a drop to half, a tenth of each look's alpha) vs concurrent controls (+ p99 from the buckets, tolerated +20%, on fleets with a latency histogram), alpha 0.001 split over the looks: 80% to the canary, of which a tenth to early-stop looks at every soak reading; the watch's last look keeps half of its 20% and each watch look judges the window since the full switch and the last 60 s; a canary pass needs enough expected errors`,
    forDeploy(p, trace, looks) {
      const judged =
        p.counterAgeSec === undefined
          ? base
          : base.map((m) => (m.name === 'latency' ? LATENCY_FROM_SUM : m));
      const metrics = p.histogram ? [...judged, p99Metric(p.histogram.bounds)] : judged;
      const nb = p.histogram ? p.histogram.bounds.length + 1 : 0;
      const series = columnsOf(metrics);
      const exact = exactColumns(metrics);
      // Only the readings the workflow takes (every lookEvery outside the soak).
      const read = readingsOf(p, trace);
      const snaps = Array.from({ length: trace.hosts }, (_, h) =>
        snapshots(trace, h, p.intervalSec, nb, exact, series, p.counterAgeSec),
      );
      const taken = (from: number, to: number, h: number) =>
        snaps[h]!.slice(from, to + 1).filter((_, i) => read[from + i]);
      const plan = {
        alpha: ALPHA,
        canaryLooks: 1,
        soakLooks: looks.filter((l) => l.phase === 'canary').length,
        watchLooks: looks.filter((l) => l.phase === 'watch').length,
        recentWindow: true,
      };
      const watchLooks = looks.filter((l) => l.phase === 'watch');
      return (look) => {
        const watchLook = watchLooks.indexOf(look) + 1; // as the workflow numbers them
        const hostSeries =
          (from: number) =>
          (h: number): HostSeries => ({
            host: String(h),
            before: taken(0, trace.canaryAt, h),
            after: taken(from, look.afterTo, h),
          });
        const input = (from: number, alpha: number) => ({
          series,
          metrics,
          canary: look.treated.map(hostSeries(from)),
          control: look.control.map(hostSeries(from)),
          alpha,
          requireEnoughData: look.phase === 'canary',
        });
        if (look.phase === 'canary') {
          const verdict = judge(
            input(look.afterFrom, alphaForLook(plan, { phase: 'canary', reading: look.reading })),
          ).verdict;
          // An early look only stops the soak on a regression (as in the workflow).
          return look.reading! < plan.soakLooks && verdict !== 'regression' ? 'pass' : verdict;
        }
        return judgeWatchLook(
          input(look.afterFrom, alphaForLook(plan, { phase: 'watch', look: watchLook })),
          look.recentFrom === undefined
            ? undefined
            : {
                input: input(
                  look.recentFrom,
                  alphaForLook(plan, { phase: 'watch', window: 'recent', look: watchLook }),
                ),
                label: 'recent',
              },
        ).verdict;
      };
    },
  };
}

export const phased = phasedJudge('phased', 0.2);
export const phasedTight = phasedJudge('phased-tol10', 0.1);

// --- helpers for the peers ---------------------------------------------------

function sums(trace: Trace, hosts: number[], from: number, to: number) {
  let e = 0;
  let r = 0;
  let lat = 0;
  for (const h of hosts)
    for (let i = from; i < to; i++) {
      const j = h * trace.intervals + i;
      e += trace.errors[j]!;
      r += trace.requests[j]!;
      lat += trace.latency[j]!;
    }
  return { e, r, meanLatency: lat / (hosts.length * (to - from)) };
}

function perInterval(trace: Trace, hosts: number[], from: number, to: number) {
  const rates: number[] = [];
  const lats: number[] = [];
  for (const h of hosts)
    for (let i = from; i < to; i++) {
      const j = h * trace.intervals + i;
      rates.push(trace.requests[j]! > 0 ? trace.errors[j]! / trace.requests[j]! : 0);
      lats.push(trace.latency[j]!);
    }
  return { rates, lats };
}

/** One-sided Welch t-test p-value that `x` has a greater mean than `y`. */
function welchGreater(x: number[], y: number[]): number {
  const m = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const v = (a: number[], mu: number) => a.reduce((s, q) => s + (q - mu) ** 2, 0) / (a.length - 1);
  const mx = m(x);
  const my = m(y);
  const vx = v(x, mx) / x.length;
  const vy = v(y, my) / y.length;
  const se = Math.sqrt(vx + vy);
  if (se === 0) return mx > my ? 0 : 1;
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  return tUpperTail((mx - my) / se, df);
}

// --- peers -----------------------------------------------------------------------

export const threshold: BenchJudge = {
  name: 'threshold',
  description:
    'canary error rate > 1.5x control, or canary mean latency > 1.2x control, at any look',
  forDeploy(_p, trace) {
    return (look) => {
      const t = sums(trace, look.treated, look.afterFrom, look.afterTo);
      const c = sums(trace, look.control, look.afterFrom, look.afterTo);
      const bad = t.e / t.r > 1.5 * (c.e / c.r) || t.meanLatency > 1.2 * c.meanLatency;
      return bad ? 'regression' : 'pass';
    };
  },
};

export const naivePoisson: BenchJudge = {
  name: 'naive-poisson',
  description:
    'exact conditional binomial test on errors and a Welch test on latency, canary vs control after the switch, alpha 0.001 at every look (no overdispersion, no baseline, no look correction)',
  forDeploy(_p, trace) {
    return (look) => {
      const t = sums(trace, look.treated, look.afterFrom, look.afterTo);
      const c = sums(trace, look.control, look.afterFrom, look.afterTo);
      const total = t.e + c.e;
      const pErrors = t.e === 0 ? 1 : 1 - binomialCdf(t.e - 1, total, t.r / (t.r + c.r));
      const lats = (hosts: number[]) =>
        perInterval(trace, hosts, look.afterFrom, look.afterTo).lats;
      const pLatency = welchGreater(lats(look.treated), lats(look.control));
      return Math.min(pErrors, pLatency) < ALPHA ? 'regression' : 'pass';
    };
  },
};

export const mannWhitney: BenchJudge = {
  name: 'mann-whitney',
  description:
    'Kayenta-style: Mann-Whitney on per-interval values (error rate, latency), canary vs control after the switch, 98% confidence, any metric high fails',
  forDeploy(_p, trace) {
    return (look) => {
      const t = perInterval(trace, look.treated, look.afterFrom, look.afterTo);
      const c = perInterval(trace, look.control, look.afterFrom, look.afterTo);
      const high =
        mannWhitneyGreater(t.rates, c.rates).pValue < 0.01 ||
        mannWhitneyGreater(t.lats, c.lats).pValue < 0.01;
      return high ? 'regression' : 'pass';
    };
  },
};

export const beforeAfter: BenchJudge = {
  name: 'before-after',
  description:
    "Welch t-test of the switched hosts' per-interval values after vs their own before, alpha 0.001 at every look (no concurrent control)",
  forDeploy(_p, trace) {
    return (look) => {
      const after = perInterval(trace, look.treated, look.afterFrom, look.afterTo);
      const before = perInterval(trace, look.treated, 0, trace.canaryAt);
      const p = Math.min(
        welchGreater(after.rates, before.rates),
        welchGreater(after.lats, before.lats),
      );
      return p < ALPHA ? 'regression' : 'pass';
    };
  },
};

export const ALL_JUDGES = [phased, phasedTight, threshold, naivePoisson, mannWhitney, beforeAfter];
