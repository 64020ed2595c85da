// Every default phased applies, in one place: the cluster file's (which the
// schema fills in), the judge's (which a caller of the judge that gives none
// gets) and the split of the false-rollback budget. Durations are written as
// a cluster file would say them.
export const DEFAULTS = {
  canarySize: '10%',
  spreadBy: ['zone', 'rack'],
  waves: ['100%'],
  baseline: '180s',
  soak: '60s',
  watch: '5m',
  lookEvery: '30s',
  /** Or lookEvery, when that is shorter. */
  soakLookEvery: '10s',
  probeTimeout: '10s',
  keep: 5,
  maxUnavailable: 0,
  onInconclusive: 'pause',
  /** How long a paused deploy waits for a person before phased rolls it back. */
  pauseTimeout: '30m',
  batchSize: 200,
  /** A counter judged per request (errors per request) rolls back on its own; other metrics do not. */
  errorRateCritical: true,
  judge: {
    /** The deploy's false-rollback budget, spent over all its looks. */
    alpha: 0.001,
    /** Share of alpha for the gates when there are watch looks: a gate protects the rest of the fleet. */
    canaryShare: 0.8,
    /** Fewest canary hosts with usable data in both windows. */
    minCanaryHosts: 1,
    /** Fewest control hosts with usable data in both windows. */
    minControlHosts: 3,
    /** Largest fraction of hosts in either group whose data may be missing. */
    maxMissingFraction: 0.25,
    /** Most hosts a deploy reads metrics from at each reading (a larger fleet is read through a spread sample). */
    maxHostsRead: 1000,
  },
  /** Share of its traffic a host may lose before the loss is a regression. */
  trafficDrop: 0.5,
  /** A metric is worse when it rises, unless the file says lower. */
  worse: 'higher',
  /** Other metrics than error rates pause on their own; traffic loss always rolls back. */
  metricCritical: false,
  trafficCritical: true,
  transport: 'local',
  ssh: { port: 22, acceptUnknownHostKeys: false },
  host: { address: '127.0.0.1' },
  /** A prometheus probe's scrape path on the host. */
  prometheusPath: '/metrics',
  /** A hook's time limit (at most 2 minutes). */
  hookTimeout: '60s',
  health: {
    scheme: 'http',
    path: '/',
    /** Inclusive range of HTTP statuses that mean healthy. */
    status: [200, 399],
    /** How long a switched host has to become healthy (at most 2 minutes). */
    deadline: '30s',
    interval: '1s',
    timeout: '5s',
  },
  /** Refuse a host whose deploy root is missing, or whose current phased does not manage. */
  createRoot: false,
  adopt: false,
  /** Symlinks that leave the release source: refuse the source. */
  unsafeSymlinks: 'refuse',
} as const;

/**
 * The judge's data limits: each from the cluster's judge section, else its
 * default. The judge, the look schedule and the default holdback all read
 * them here, so they cannot disagree.
 */
export function judgeLimits(
  given: {
    minCanaryHosts?: number | undefined;
    minControlHosts?: number | undefined;
    maxMissingFraction?: number | undefined;
  } = {},
): { minCanaryHosts: number; minControlHosts: number; maxMissingFraction: number } {
  return {
    minCanaryHosts: given.minCanaryHosts ?? DEFAULTS.judge.minCanaryHosts,
    minControlHosts: given.minControlHosts ?? DEFAULTS.judge.minControlHosts,
    maxMissingFraction: given.maxMissingFraction ?? DEFAULTS.judge.maxMissingFraction,
  };
}
