// A fleet's traffic during one deploy, for the judge benchmark. Everything a
// judge could be fooled by is in it: hosts that differ in traffic, error rate
// and latency; error counts far more variable than Poisson; a drift that moves
// every host during the deploy (time of day); per-host latency wander.
import gammaFactory from '@stdlib/random-base-gamma';
import mt19937 from '@stdlib/random-base-mt19937';
import normalFactory from '@stdlib/random-base-normal';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import poissonFactory from '@stdlib/random-base-poisson';
import { parseDuration } from '../../src/config/duration.js';
import { DEFAULTS } from '../../src/core/defaults.js';
import { recentWindowReadings } from '../../src/core/plan.js';

export interface FleetParams {
  hosts: number;
  /** Canary share of the fleet; the same number of hosts (at least 3) is held back during the watch. */
  canaryFraction: number;
  intervalSec: number;
  baselineSec: number;
  soakSec: number;
  watchSec: number;
  lookEverySec: number;
  /** Mean requests per second per host; hosts differ by a lognormal factor. */
  meanRps: number;
  hostRateSigma: number;
  baseErrorRate: number;
  hostErrorSigma: number;
  /** Variance of an interval's error count over its mean (Poisson = 1). */
  errorDispersion: number;
  latencyMs: number;
  hostLatencySigma: number;
  /** Relative noise of one interval's mean latency reading. */
  latencyNoise: number;
  /** Largest fleet-wide drift over the deploy, drawn per deploy in [-x, x]. */
  drift: { traffic: number; errors: number; latency: number };
  /** Per-host latency drift over the deploy (sd, relative). */
  hostLatencyDrift: number;
  /** Canaries run on different hardware: their error rate and latency differ throughout. */
  canaryHardware?: { errors: number; latency: number };
  /** One non-canary host far hotter than the rest (error rate and latency multiplier). */
  hotHost?: number;
  /**
   * Each reading also counts requests into latency buckets (a Prometheus
   * histogram): per-request latency lognormal around the host's mean with
   * this sigma, bounds in ms.
   */
  histogram?: { bounds: number[]; sigma: number };
  /**
   * Skewed traffic: this share of the hosts (drawn per deploy) carries only
   * `traffic` of the fleet's requests, the rest carry the remainder.
   */
  quietHosts?: { share: number; traffic: number };
  /** Hosts held back as the watch's controls (default: as many as the canary, at least 3). */
  holdback?: number;
  /**
   * The hosts' counters (requests, errors, histogram buckets, the latency
   * `_sum`) had counted this long before the deploy; phased then judges the
   * mean latency from `_sum` / requests.
   */
  counterAgeSec?: number;
}

/** The watch's held-back hosts, as the workflow's default (or the fleet's setting) gives them. */
export function holdbackOf(p: FleetParams, canaries: number): number {
  return Math.min(p.holdback ?? Math.max(canaries, 3), p.hosts - canaries - 1);
}

const seconds = (d: string) => parseDuration(d)! / 1000;

/**
 * The workflow's own timing (src/core/defaults.ts DEFAULTS): one simulated
 * interval is one soak reading; the baseline and the watch read every
 * `lookEvery`, a whole number of intervals.
 */
export const WORKFLOW_DEFAULTS = {
  canaryFraction: Number(DEFAULTS.canarySize.replace('%', '')) / 100,
  intervalSec: seconds(DEFAULTS.soakLookEvery),
  lookEverySec: seconds(DEFAULTS.lookEvery),
  baselineSec: seconds(DEFAULTS.baseline),
  soakSec: seconds(DEFAULTS.soak),
  watchSec: seconds(DEFAULTS.watch),
};

export const DEFAULT_FLEET: FleetParams = {
  hosts: 100,
  ...WORKFLOW_DEFAULTS,
  meanRps: 100,
  hostRateSigma: 0.3,
  baseErrorRate: 0.01,
  hostErrorSigma: 0.3,
  errorDispersion: 4,
  latencyMs: 50,
  hostLatencySigma: 0.25,
  latencyNoise: 0.03,
  drift: { traffic: 0.3, errors: 0.2, latency: 0.15 },
  hostLatencyDrift: 0.02,
};

/** Multipliers the release under test applies to hosts that run it. */
export interface Regression {
  errors: number;
  latency: number;
  /** Multiplier on the requests a switched host serves (0: it does not start). */
  traffic?: number;
  /** Only this many canaries are affected (default: every switched host). */
  canariesAffected?: number;
  /** The regression starts this long after the full switch (canaries unaffected until then). */
  startsAfterFullSec?: number;
  /** A tail-only regression: this share of requests takes `ms` longer (the rest unchanged). */
  tail?: { share: number; ms: number };
  /**
   * Per-request latency spreads out: the histogram's lognormal sigma times
   * this, the mean unchanged (a slow path some requests take; 1.62 moves p99
   * x1.5 at sigma 0.35 and leaves the mean latency gauge where it was).
   */
  spread?: number;
}

export const NO_REGRESSION: Regression = { errors: 1, latency: 1 };

/** One deploy's per-host, per-interval traffic (row-major: host * intervals + i). */
export interface Trace {
  hosts: number;
  intervals: number;
  requests: Float64Array;
  errors: Float64Array;
  latency: Float64Array;
  /** With FleetParams.histogram: per host and interval, requests per bucket (bounds, then +Inf). */
  buckets?: Float64Array;
  canary: number[];
  holdback: number[];
  /** Interval index at which the canary switched, and at which the rest did. */
  canaryAt: number;
  fullAt: number;
}

export type Rng = ReturnType<typeof createRng>;

export function createRng(seed: number) {
  // factory() returns the generator with `.normalized` (uniform on [0, 1));
  // the package's typings leave that property out.
  const mt = mt19937.factory({ seed }) as unknown as { normalized: () => number };
  const prng = mt.normalized;
  return {
    uniform: prng,
    poisson: poissonFactory.factory({ prng }),
    gamma: gammaFactory.factory({ prng }),
    normal: normalFactory.factory({ prng }),
  };
}

const all = (n: number) => Array.from({ length: n }, (_, h) => h);

function sampleHosts(rng: Rng, n: number, k: number, exclude: Set<number>): number[] {
  const chosen: number[] = [];
  while (chosen.length < k) {
    const h = Math.floor(rng.uniform() * n);
    if (!exclude.has(h) && !chosen.includes(h)) chosen.push(h);
  }
  return chosen.sort((a, b) => a - b);
}

export function simulateDeploy(p: FleetParams, regression: Regression, rng: Rng): Trace {
  const n = p.hosts;
  const canaryAt = p.baselineSec / p.intervalSec;
  const fullAt = canaryAt + p.soakSec / p.intervalSec;
  const intervals = fullAt + p.watchSec / p.intervalSec;
  // As the workflow plans them (resolveSize, defaultHoldback).
  const k = Math.min(n - 1, Math.max(1, Math.ceil(n * p.canaryFraction - 1e-9)));
  const canary = sampleHosts(rng, n, k, new Set());
  const holdback = sampleHosts(rng, n, holdbackOf(p, k), new Set(canary));
  const isCanary = new Set(canary);
  const isHoldback = new Set(holdback);

  const drift = (x: number) => (rng.uniform() * 2 - 1) * x;
  const dTraffic = drift(p.drift.traffic);
  const dErrors = drift(p.drift.errors);
  const dLatency = drift(p.drift.latency);
  const lognormal = (sigma: number) => Math.exp(rng.normal(-sigma * sigma * 0.5, sigma));

  const hist = p.histogram;
  const nb = hist ? hist.bounds.length + 1 : 0;
  const buckets = hist ? new Float64Array(n * intervals * nb) : undefined;
  const requests = new Float64Array(n * intervals);
  const errors = new Float64Array(n * intervals);
  const latency = new Float64Array(n * intervals);
  // Gamma-Poisson mixture = negative binomial with variance `errorDispersion` x mean.
  const phi = p.errorDispersion;
  const affected = new Set(canary.slice(0, regression.canariesAffected ?? canary.length));
  const hot = p.hotHost === undefined ? -1 : all(n).find((h) => !isCanary.has(h))!;
  const regressionFrom =
    regression.startsAfterFullSec === undefined
      ? 0
      : fullAt + regression.startsAfterFullSec / p.intervalSec;
  const quiet = p.quietHosts;
  const isQuiet = new Set(quiet ? sampleHosts(rng, n, Math.round(n * quiet.share), new Set()) : []);
  const skew = (h: number) =>
    !quiet
      ? 1
      : isQuiet.has(h)
        ? quiet.traffic / quiet.share
        : (1 - quiet.traffic) / (1 - quiet.share);
  for (let h = 0; h < n; h++) {
    const hw = isCanary.has(h) ? p.canaryHardware : undefined;
    const hotness = h === hot ? p.hotHost! : 1;
    const rate = p.meanRps * lognormal(p.hostRateSigma) * skew(h);
    const errRate = p.baseErrorRate * lognormal(p.hostErrorSigma) * (hw?.errors ?? 1) * hotness;
    const lat = p.latencyMs * lognormal(p.hostLatencySigma) * (hw?.latency ?? 1) * hotness;
    const hostLatDrift = rng.normal(0, p.hostLatencyDrift);
    const newFrom = isCanary.has(h) ? canaryAt : isHoldback.has(h) ? Infinity : fullAt;
    const hit = regression.canariesAffected === undefined || affected.has(h);
    for (let i = 0; i < intervals; i++) {
      const f = i / intervals;
      const bad = hit && i >= newFrom && i >= regressionFrom;
      const reqMean =
        rate * p.intervalSec * (1 + dTraffic * f) * (bad ? (regression.traffic ?? 1) : 1);
      const tail = bad ? regression.tail : undefined;
      const j0 = h * intervals + i;
      const latMean =
        lat * (1 + dLatency * f) * (1 + hostLatDrift * f) * (bad ? regression.latency : 1);
      // Split into buckets by Poisson thinning: the bucket counts are
      // independent Poissons whose sum is the interval's requests.
      const spread = bad ? (regression.spread ?? 1) : 1;
      const req = !buckets
        ? reqMean > 0
          ? rng.poisson(reqMean)
          : 0
        : drawBuckets(buckets, j0 * nb, hist!, reqMean, latMean, spread, tail, rng);
      const errMean = req * errRate * (1 + dErrors * f) * (bad ? regression.errors : 1);
      const shape = errMean / (phi - 1);
      const err = errMean > 0 ? rng.poisson(rng.gamma(shape, shape / errMean)) : 0;
      const j = j0;
      requests[j] = req;
      errors[j] = Math.min(err, req);
      latency[j] =
        latMean * (1 + rng.normal(0, p.latencyNoise)) + (tail ? tail.share * tail.ms : 0);
    }
  }
  return {
    hosts: n,
    intervals,
    requests,
    errors,
    latency,
    ...(buckets ? { buckets } : {}),
    canary,
    holdback,
    canaryAt,
    fullAt,
  };
}

/**
 * One interval's requests into buckets at `at`: a lognormal latency with the
 * given mean (the host's, with its drift and any regression of the mean) and
 * the histogram's sigma times `spread`, and optionally a share of requests
 * `tail.ms` slower.
 */
function drawBuckets(
  out: Float64Array,
  at: number,
  hist: { bounds: number[]; sigma: number },
  reqMean: number,
  meanMs: number,
  spread: number,
  tail: { share: number; ms: number } | undefined,
  rng: Rng,
): number {
  const sigma = hist.sigma * spread;
  const mu = Math.log(meanMs) - (sigma * sigma) / 2;
  const cdf = (ms: number) => (ms <= 0 ? 0 : normalCdf(Math.log(ms), mu, sigma));
  const share = tail?.share ?? 0;
  const mixture = (b: number) => (1 - share) * cdf(b) + (share > 0 ? share * cdf(b - tail!.ms) : 0);
  let below = 0;
  let total = 0;
  for (let b = 0; b <= hist.bounds.length; b++) {
    const upTo = b < hist.bounds.length ? mixture(hist.bounds[b]!) : 1;
    const mean = reqMean * (upTo - below);
    const count = mean > 0 ? rng.poisson(mean) : 0;
    out[at + b] = count;
    total += count;
    below = upTo;
  }
  return total;
}

/** A judged moment: which hosts are treated and control, and which intervals are "after". */
export interface Look {
  phase: 'canary' | 'watch';
  /** For the canary: the soak reading judged, 1-based; the last one decides, earlier ones only stop early. */
  reading?: number;
  /** Seconds since the canary switch, at which this look decides. */
  atSec: number;
  treated: number[];
  control: number[];
  /** Baseline intervals [0, canaryAt), after intervals [afterFrom, afterTo). */
  afterFrom: number;
  afterTo: number;
  /** For the watch: the recent window judged beside it starts at this interval. */
  recentFrom?: number;
}

/**
 * Whether the workflow reads the hosts at interval boundary `i`: every
 * `lookEvery` in the baseline and the watch, every interval in the soak.
 */
export function readingsOf(p: FleetParams, trace: Trace): boolean[] {
  const step = p.lookEverySec / p.intervalSec;
  return Array.from({ length: trace.intervals + 1 }, (_, i) =>
    i <= trace.canaryAt
      ? i % step === 0 || i === trace.canaryAt
      : i <= trace.fullAt || (i - trace.fullAt) % step === 0,
  );
}

/** The workflow's looks (workflows/deploy.ts): every soak reading, then every watch interval. */
export function looksOf(p: FleetParams, trace: Trace): Look[] {
  const all = Array.from({ length: trace.hosts }, (_, h) => h);
  const holdback = new Set(trace.holdback);
  const canary = new Set(trace.canary);
  const step = p.lookEverySec / p.intervalSec;
  const soakLooks = trace.fullAt - trace.canaryAt;
  const looks: Look[] = [];
  for (let k = 1; k <= soakLooks; k++)
    looks.push({
      phase: 'canary',
      reading: k,
      atSec: k * p.intervalSec,
      treated: trace.canary,
      control: all.filter((h) => !canary.has(h)),
      afterFrom: trace.canaryAt,
      afterTo: trace.canaryAt + k,
    });
  // The recent window: a soak's length at the watch's cadence.
  const recent =
    recentWindowReadings({
      soak: p.soakSec * 1000,
      lookEvery: p.lookEverySec * 1000,
      watch: p.watchSec * 1000,
    }) * step;
  for (let to = trace.fullAt + step; to <= trace.intervals; to += step) {
    looks.push({
      phase: 'watch',
      atSec: p.soakSec + (to - trace.fullAt) * p.intervalSec,
      treated: all.filter((h) => !holdback.has(h)),
      control: trace.holdback,
      afterFrom: trace.fullAt,
      afterTo: to,
      ...(to - trace.fullAt > recent ? { recentFrom: to - recent } : {}),
    });
  }
  return looks;
}
