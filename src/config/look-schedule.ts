// The look schedule of a cluster: what its deploys' looks will be, worked
// out before any deploy starts: how many hosts each look compares, the alpha
// each look gets, what each metric's test can reach with those host counts,
// and how much traffic a pass needs. It stands on the rollout plan
// (core/plan.ts: which hosts switch when) and the alpha budget
// (judge/alpha.ts: how the false-rollback budget is split over the looks).
// Loading a configuration checks its shape and its fields against each
// other; whether its looks can decide is this planning step, which the
// worker runs before a deploy starts (assertDecidable) and `phased plan`
// runs before it prints the rest.
import { alphaForLook } from '../judge/alpha.js';
import { DEFAULT_MIN_EXPOSURE, eventsToPass } from '../judge/classify-metric.js';
import { metricThresholds } from '../judge/index.js';
import { withTrafficMetrics } from '../judge/traffic.js';
import type { MetricSpec } from '../judge/types.js';
import { DEFAULTS, judgeLimits } from '../core/defaults.js';
import { smallestAttainableP } from '../stats/mann-whitney.js';
import { formatP } from '../judge/format.js';
import { formatDuration } from './duration.js';
import { configInvalid, loadClusterConfig } from './load.js';
import { PhasedError } from '../errors.js';
import { defaultHoldback, lookCounts, planRollout, readSet, resolveSize } from '../core/plan.js';
import { eventsPerHostSecondFor, type LookShape } from './power.js';
import type { ClusterConfig } from './schema.js';
import type { LookKind } from '../core/vocabulary.js';

/** The fields planning reads (a parsed configuration, before or after defaults are resolved). */
export type ScheduleInput = Pick<
  ClusterConfig,
  'hosts' | 'canary' | 'waves' | 'holdback' | 'durations' | 'judge' | 'metrics'
>;

export interface ScheduledMetric {
  name: string;
  kind: MetricSpec['kind'];
  /** The test this look would run. */
  test: string;
  /** The p-value a regression must fall below. */
  threshold: number;
  /** The smallest p-value the test can reach with these host counts (0: any). */
  bestP: number;
  /** For counters: events the treated hosts' window must be expected to hold for a pass. */
  eventsToPass?: number;
  /**
   * For counters: events per host per minute, at the rate before the deploy,
   * at which this look catches x2 half the time (Poisson counts; see power.ts).
   */
  x2PerHostMinute?: number;
}

export interface ScheduledLook {
  phase: LookKind;
  /** How many looks of this kind (the watch's on one line: its last decides, the earlier are early stops). */
  looks: number;
  treated: number;
  control: number;
  /** This look's share of the deploy's false-rollback budget (a gate's deciding look; the watch's last look, its window since the full switch). */
  alpha: number;
  /** A gate's early looks, one at each earlier reading of its soak, or the watch's earlier looks: they can only stop it on a regression. */
  earlyStop?: { looks: number; alpha: number };
  /** A watch look's second window, the last soak's worth of readings, and its alpha. */
  recentWindow?: { seconds: number; alpha: number };
  metrics: ScheduledMetric[];
  /** Why this look can never decide, when it cannot. */
  undecidable?: string;
}

export interface LookSchedule {
  hosts: number;
  canaries: number;
  waves: number[];
  holdback: number;
  /** A fleet larger than judge.maxHostsRead: the hosts read per reading, by group. */
  read?: { max: number; canaries: number; waves: number; holdback: number };
  readings: { baseline: number; soak: number; watch: number };
  looks: ScheduledLook[];
  /** What the configuration allows but an operator would not want, each with its fix. */
  warnings: string[];
}

/** Host counts as the workflow will plan them (names do not matter, only sizes). */
function rollout(c: ScheduleInput) {
  const hosts = c.hosts.map((h) => ({ name: h.name, address: '', root: '/', tags: {} }));
  return planRollout({
    hosts,
    canarySize: c.canary.size,
    spreadBy: [],
    waves: c.waves,
    holdbackSize: c.holdback ?? defaultHoldback(c),
    seed: 'plan',
  });
}

/** The regression a plan states what it takes to see. */
const SEEN_RATIO = 2;
/** The watch may need this many times the canary's traffic to see it before the plan warns. */
const WATCH_NEED_LIMIT = 2;

const toleratedOf = (m: MetricSpec) => (m.worse === 'higher' ? 1 + m.tolerance : 1 - m.tolerance);

/** The shape of a look for the power statement: the window since the switch it judges. */
function shapeOf(
  c: ScheduleInput,
  phase: LookKind,
  treated: number,
  control: number,
  threshold: number,
): LookShape {
  const d = c.durations;
  return {
    treated,
    control,
    afterSeconds: (phase === 'watch' ? d.watch : d.soak) / 1000,
    beforeSeconds: d.baseline / 1000,
    threshold,
  };
}

/** Events per host per minute for a look to catch x2 half the time on metric `m`. */
function x2PerHostMinute(m: MetricSpec, look: LookShape): number {
  const ratio = m.worse === 'higher' ? SEEN_RATIO : 1 / SEEN_RATIO;
  // A metric that is worse lower (throughput) is seen as the inverse ratio of its inverse.
  const [r, tol] = m.worse === 'higher' ? [ratio, toleratedOf(m)] : [1 / ratio, 1 / toleratedOf(m)];
  return eventsPerHostSecondFor(look, r, tol) * 60;
}

function scheduledMetrics(
  c: ScheduleInput,
  phase: LookKind,
  treated: number,
  control: number,
  alpha: number,
): ScheduledMetric[] {
  const metrics = withTrafficMetrics(c.metrics);
  const thresholds = metricThresholds(metrics, alpha);
  return metrics.map((m, i) => {
    const threshold = thresholds[i]!;
    if (m.kind === 'gauge' || m.kind === 'quantile') {
      const rankFloor = smallestAttainableP(treated, control);
      const ranks = rankFloor < threshold;
      const of =
        m.kind === 'quantile' ? `per-host p${m.quantile * 100} changes` : 'per-host changes';
      return {
        name: m.name,
        kind: m.kind,
        test: ranks ? `rank test on ${of}` : `t-test on ${of}`,
        threshold,
        bestP: ranks ? rankFloor : 0,
      };
    }
    if (m.kind === 'traffic')
      return {
        name: m.name,
        kind: m.kind,
        test: 'per-host traffic vs own baseline',
        threshold,
        bestP: 0,
      };
    return {
      name: m.name,
      kind: m.kind,
      test: 'quasi-Poisson rate ratio',
      threshold,
      bestP: 0,
      eventsToPass: Math.ceil(eventsToPass(threshold)),
      x2PerHostMinute: x2PerHostMinute(m, shapeOf(c, phase, treated, control, threshold)),
    };
  });
}

export function scheduleLooks(c: ScheduleInput): LookSchedule {
  const plan = rollout(c);
  const total = c.hosts.length;
  const { minCanaryHosts, minControlHosts } = judgeLimits(c.judge);
  const every = c.durations.lookEvery;
  const counts = lookCounts(plan, c.durations);
  const budget = {
    alpha: c.judge.alpha,
    canaryShare: c.judge.canaryShare,
    ...counts,
    recentWindow: true,
  };
  const judged = c.metrics.length > 0;
  // A large fleet is judged on the hosts it reads (readSet): count those.
  const maxRead = c.judge.maxHostsRead ?? DEFAULTS.judge.maxHostsRead;
  const readNames = new Set(
    (readSet(plan, maxRead) ?? plan.canaries.concat(plan.waves.flat(), plan.holdback)).map(
      (h) => h.name,
    ),
  );
  const readOf = (hs: readonly { name: string }[]) =>
    hs.filter((h) => readNames.has(h.name)).length;
  const readTotal = readNames.size;
  const look = (
    phase: ScheduledLook['phase'],
    looks: number,
    switchedHosts: number,
  ): ScheduledLook => {
    const switchedList = [plan.canaries, ...plan.waves].flat().slice(0, switchedHosts);
    const treated = readOf(switchedList);
    const control = phase === 'watch' ? readOf(plan.holdback) : readTotal - treated;
    // A watch look stands for the last, deciding one; the earlier ones are its early stops.
    const last = { phase: 'watch' as const, look: counts.watchLooks };
    const alpha = alphaForLook(budget, phase === 'watch' ? last : 'canary');
    const out: ScheduledLook = {
      phase,
      looks,
      treated,
      control,
      alpha,
      metrics: judged ? scheduledMetrics(c, phase, treated, control, alpha) : [],
    };
    if (phase !== 'watch' && counts.soakLooks > 1)
      out.earlyStop = {
        looks: counts.soakLooks - 1,
        alpha: alphaForLook(budget, { phase: 'canary', reading: 1 }),
      };
    if (phase === 'watch' && counts.watchLooks > 1)
      out.earlyStop = {
        looks: counts.watchLooks - 1,
        alpha: alphaForLook(budget, { phase: 'watch', look: 1 }),
      };
    if (phase === 'watch')
      out.recentWindow = {
        seconds: Math.round(c.durations.soak / 1000),
        alpha: alphaForLook(budget, { ...last, window: 'recent' }),
      };
    if (judged && treated < minCanaryHosts)
      out.undecidable = `${treated} switched host(s), the judge needs judge.minCanaryHosts=${minCanaryHosts}`;
    else if (judged && control < minControlHosts)
      out.undecidable = `${control} control host(s), the judge needs judge.minControlHosts=${minControlHosts}`;
    return out;
  };
  const looks: ScheduledLook[] = [look('canary', 1, plan.canaries.length)];
  let switched = plan.canaries.length;
  plan.waves.forEach((w, i) => {
    switched += w.length;
    if (i < plan.waves.length - 1) looks.push(look('wave', 1, switched));
  });
  if (counts.watchLooks > 0) looks.push(look('watch', counts.watchLooks, switched));
  const readings = (ms: number) => Math.max(1, Math.round(ms / every));
  return {
    warnings: [...blindWatch(c, looks, plan.canaries.length), ...coarseBuckets(c)],
    hosts: total,
    canaries: plan.canaries.length,
    waves: plan.waves.map((w) => w.length),
    holdback: plan.holdback.length,
    ...(readTotal < total
      ? {
          read: {
            max: maxRead,
            canaries: readOf(plan.canaries),
            waves: readOf(plan.waves.flat()),
            holdback: readOf(plan.holdback),
          },
        }
      : {}),
    readings: {
      baseline: readings(c.durations.baseline),
      soak: counts.soakLooks,
      watch: readings(c.durations.watch),
    },
    looks,
  };
}

/**
 * A watch whose few held-back hosts leave it unable to see what the canary
 * could: a regression that starts after the full switch (a cache that fills,
 * a cron job) then goes unseen. Warns per rate metric when the watch needs
 * more than WATCH_NEED_LIMIT times the canary's traffic to catch x2 half the
 * time, with the holdback that fixes it when the fleet has room.
 */
function blindWatch(c: ScheduleInput, looks: ScheduledLook[], canaries: number): string[] {
  const canary = looks.find((l) => l.phase === 'canary');
  const watch = looks.find((l) => l.phase === 'watch');
  if (!canary || !watch || canary.undecidable || watch.undecidable) return [];
  const total = c.hosts.length;
  const out: string[] = [];
  for (const wm of watch.metrics) {
    const cm = canary.metrics.find((m) => m.name === wm.name);
    const spec = c.metrics.find((m) => m.name === wm.name);
    if (!spec || cm?.x2PerHostMinute === undefined || wm.x2PerHostMinute === undefined) continue;
    const times = wm.x2PerHostMinute / cm.x2PerHostMinute;
    if (!(times > WATCH_NEED_LIMIT)) continue;
    const need = (holdback: number) =>
      x2PerHostMinute(spec, shapeOf(c, 'watch', total - holdback, holdback, wm.threshold));
    let fix: number | undefined;
    for (let h = watch.control + 1; h <= total - canaries - 1 && fix === undefined; h++)
      if (need(h) <= WATCH_NEED_LIMIT * cm.x2PerHostMinute) fix = h;
    out.push(
      `warning: the watch is nearly blind on ${wm.name}: with ${watch.control} held-back host(s) it needs ${formatRate(wm.x2PerHostMinute, seriesOf(c, wm.name))} a minute per host to catch x2 half the time, ${Number(times.toPrecision(2))} times the canary look's ${formatRate(cm.x2PerHostMinute, seriesOf(c, wm.name))}, so a regression that starts after the full switch may go unseen: ` +
        (fix !== undefined
          ? `hold back ${fix} hosts (holdback: ${fix})`
          : `this fleet has no room for a holdback that sees it (${total} hosts): accept it, or add hosts`),
    );
  }
  return out;
}

/**
 * A quantile metric whose buckets are wider than twice its tolerance (the
 * tolerated ratio squared): a change the judge should catch can then stay
 * inside one bucket, and its reading rests on the shape phased assumes there
 * (lognormal, from the shares at the bounds around it; see stats/histogram.ts).
 * Names the widest such bucket and the spacing that needs no assumption.
 */
function coarseBuckets(c: ScheduleInput): string[] {
  const out: string[] = [];
  for (const m of c.metrics) {
    if (m.kind !== 'quantile') continue;
    const tol = Math.max(toleratedOf(m), 1 / toleratedOf(m));
    const limit = tol ** 2;
    let widest: [number, number] | undefined;
    for (let k = 1; k < m.buckets.length; k++) {
      const [low, high] = [m.buckets[k - 1]!, m.buckets[k]!];
      if (low > 0 && high / low > limit && (!widest || high / low > widest[1] / widest[0]))
        widest = [low, high];
    }
    if (!widest) continue;
    const x = (r: number) => `x${Number(r.toPrecision(3))}`;
    const q = `p${Number((m.quantile * 100).toPrecision(4))}`;
    out.push(
      `warning: ${m.name}'s buckets are coarse for its tolerance: ${widest[0]}-${widest[1]} spans ${x(widest[1] / widest[0])}, so a ${q} change of twice the tolerated ${x(tol)} (${x(limit)}) can stay inside one bucket; phased then reads ${q} on a lognormal shape from the shares at the bounds around it (exact for lognormal latency, less so for other tails; histogram_quantile's straight line would hide most of the change): for a reading that assumes nothing, add bounds at most ${x(limit)} apart where ${q} usually lies`,
    );
  }
  return out;
}

/** Events a minute per host, named by the counter's series. */
const formatRate = (perMinute: number, series: string) =>
  Number.isFinite(perMinute)
    ? `${Number(perMinute.toPrecision(2))} ${series}`
    : `more ${series} than any traffic`;

const seriesOf = (c: ScheduleInput, name: string) => {
  const m = c.metrics.find((x) => x.name === name);
  return m?.kind === 'counter' ? m.series : 'events';
};

/** Problems that would leave a look undecided on every deploy: field, message with the fix. */
export function undecidableLooks(
  c: ScheduleInput,
): { path: (string | number)[]; message: string }[] {
  const plan = scheduleLooks(c);
  const { minCanaryHosts, minControlHosts } = judgeLimits(c.judge);
  const lower = 'or lower judge.minControlHosts (weaker evidence)';
  const out: { path: (string | number)[]; message: string }[] = [];
  for (const l of plan.looks) {
    if (!l.undecidable) continue;
    if (l.treated < minCanaryHosts)
      out.push({
        path: ['canary', 'size'],
        message: `${l.phase} look would judge ${l.treated} switched host(s), but the judge needs judge.minCanaryHosts=${minCanaryHosts}: use a canary of at least ${minCanaryHosts}, or lower judge.minCanaryHosts`,
      });
    else if (l.phase === 'canary')
      out.push({
        path: ['canary', 'size'],
        message: `the canary look would compare ${l.treated} canary host(s) with ${l.control} control host(s), but the judge needs judge.minControlHosts=${minControlHosts}, so it could never decide: use a smaller canary, add hosts, ${lower}`,
      });
    else if (l.phase === 'wave')
      out.push({
        path: ['waves'],
        message: `a wave look would compare ${l.treated} switched host(s) with ${l.control} still on the old release, but the judge needs judge.minControlHosts=${minControlHosts}, so it could never decide: make the earlier waves smaller, ${lower}`,
      });
    else {
      const room = plan.hosts - plan.canaries - 1;
      // Only fixes this fleet can take: a holdback it has no room for is not one.
      const fixes =
        room >= minControlHosts
          ? `hold back at least ${minControlHosts} hosts, ${lower}`
          : `this fleet cannot hold back ${minControlHosts} (${plan.hosts} hosts with ${plan.canaries} canary leave room for ${room}): set holdback: 0 for a watch without comparison, add ${minControlHosts - room} host(s), or set judge.minControlHosts: ${Math.max(1, room)} (weaker evidence)`;
      out.push({
        path: ['holdback'],
        message: `the watch would compare the switched hosts with ${l.control} held-back host(s), but the judge needs judge.minControlHosts=${minControlHosts}, so every watch look would be inconclusive: ${fixes}`,
      });
    }
  }
  return out;
}

/**
 * Refuses a configuration whose looks could never decide, listing each such
 * look with its fix (CONFIG_INVALID, like a field the loader refuses).
 */
export function assertDecidable(c: ScheduleInput, source = 'configuration'): void {
  // Only a fleet whose sizes make sense has looks worth checking (the loader refuses the rest).
  if (resolveSize(c.canary.size, c.hosts.length) >= c.hosts.length) return;
  const issues = undecidableLooks(c);
  if (issues.length > 0) throw configInvalid(source, issues);
}

const pct = (x: number) => `${Number((x * 100).toPrecision(3))}%`;

/** The plan as an operator reads it. */
export function formatPlan(c: ScheduleInput, plan = scheduleLooks(c)): string[] {
  const d = c.durations;
  const lines = [
    ...plan.warnings,
    `${plan.hosts} hosts: ${plan.canaries} canary, then waves of ${plan.waves.join(', ') || 0}, ${plan.holdback} held back as watch controls`,
    ...(plan.read
      ? [
          `reads metrics from ${plan.read.canaries + plan.read.waves + plan.read.holdback} of the ${plan.hosts} hosts at each reading (judge.maxHostsRead=${plan.read.max}): ${plan.read.canaries} canaries, ${plan.read.waves} of later waves, ${plan.read.holdback} held back; every host is still staged, switched and health-checked`,
        ]
      : []),
    `readings every ${formatDuration(d.lookEvery)} (${formatDuration(d.soakLookEvery)} in a soak): baseline ${formatDuration(d.baseline)} (${plan.readings.baseline}), soak ${formatDuration(d.soak)} (${plan.readings.soak}), watch ${formatDuration(d.watch)} (${plan.readings.watch})`,
    `false-rollback budget: alpha ${c.judge.alpha} per deploy, ${pct(c.judge.canaryShare)} of it to the canary and wave looks`,
  ];
  if (c.metrics.length === 0)
    lines.push('no metrics: every look is a timed wait, nothing is judged');
  for (const l of plan.looks) {
    const times =
      l.phase === 'watch' && l.looks > 1
        ? ` ${l.looks} of ${l.looks} (decides)`
        : l.looks > 1
          ? ` (x${l.looks})`
          : '';
    lines.push(
      `${l.phase} look${times}: ${l.treated} switched vs ${l.control} control, alpha ${formatP(l.alpha)}${l.undecidable ? `: CANNOT DECIDE: ${l.undecidable}` : ''}`,
    );
    for (const m of l.metrics) {
      const best = m.bestP > 0 ? `, best reachable p=${formatP(m.bestP)}` : '';
      const events =
        m.eventsToPass !== undefined && l.phase !== 'watch'
          ? `; a pass needs about ${m.eventsToPass} events expected at the tolerated rate (more with overdispersion)`
          : '';
      const seen =
        m.x2PerHostMinute !== undefined
          ? `; catches x2 half the time from ${formatRate(m.x2PerHostMinute, seriesOf(c, m.name))} a minute per host at the rate before (Poisson)`
          : '';
      lines.push(
        `  ${m.name} (${m.kind}): ${m.test}, regression below p=${formatP(m.threshold)}${best}${events}${seen}`,
      );
    }
    if (l.earlyStop)
      lines.push(
        `  early stop: a look at each of the ${l.earlyStop.looks} earlier readings, alpha ${formatP(l.earlyStop.alpha)} each, rolls back on a regression only`,
      );
    if (l.recentWindow)
      lines.push(
        `  each watch look also judges the last ${l.recentWindow.seconds}s on their own (alpha ${formatP(l.recentWindow.alpha)} at the last), for a regression that starts late`,
      );
  }
  // Below its minExposure a rate is inconclusive (which pauses by default):
  // say what traffic the canaries need for the soak to decide at all.
  const soakSeconds = d.soak / 1000;
  for (const m of c.metrics) {
    if (m.kind !== 'counter' || m.exposure === undefined) continue;
    const needed = m.minExposure ?? DEFAULT_MIN_EXPOSURE.perRequest;
    const perHost = needed / Math.max(1, plan.read?.canaries ?? plan.canaries) / soakSeconds;
    lines.push(
      `${m.name} judges only after the canaries saw ${needed} ${m.exposure} since the switch (minExposure): at least ${Number(perHost.toPrecision(3))} ${m.exposure}/s per canary host to decide within the ${formatDuration(d.soak)} soak`,
    );
  }
  return lines;
}

/**
 * Cluster `cluster`'s file, loaded and planned as a deploy starting now
 * would: refused when its looks could never decide, or when it describes
 * another cluster (`fix` says what to do then).
 */
export function loadForPlanning(file: string, cluster: string, fix: (other: string) => string) {
  const config = loadClusterConfig(file);
  assertDecidable(config, file);
  if (config.cluster !== cluster)
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${file} describes cluster ${config.cluster}, not ${cluster}`,
      fix: fix(config.cluster),
    });
  return config;
}
