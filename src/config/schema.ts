// The cluster configuration file: its schema (zod), defaults in one place,
// and errors that name the field and the fix.
import { z } from 'zod';
import { strictObject } from './strict.js';
import {
  ACCESS_ACTIONS,
  HOOK_NAMES,
  type AccessAction,
  type HealthSpec,
  type Host,
  type HookName,
} from '../core/vocabulary.js';
import { DEFAULTS } from '../core/defaults.js';
import { BUILTIN_SERIES } from '../metrics/builtin-series.js';
import { formatDuration, parseDuration } from './duration.js';
import {
  isSafeAbsolutePath,
  isSafeAddress,
  isSafeSegment,
  SEGMENT_RULE,
} from './validate-names.js';

export { DEFAULTS };

/**
 * The most readings one phase (baseline, a soak, the watch) may take. It
 * bounds a deploy's history: durations whose ratio to lookEvery asks for
 * more are refused rather than recorded as thousands of events.
 */
export const MAX_READINGS_PER_PHASE = 120;

const segment = (what: string) =>
  z.string().refine(isSafeSegment, { message: `${what} is not a safe name: ${SEGMENT_RULE}` });

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name (A-Z, 0-9, _)');

/** An operator identity: a certificate subject, an e-mail, a user name; "*" is anyone. */
const identity = z
  .string()
  .regex(
    /^(\*|[A-Za-z0-9][A-Za-z0-9@._+:=,/ -]{0,199})$/,
    'must be an identity (a user, an e-mail, a certificate subject) or "*"',
  );

const absolutePath = z.string().refine(isSafeAbsolutePath, {
  message:
    'must be an absolute path of letters, digits and "._@+-" (no "..", spaces or shell characters)',
});

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a duration: write e.g. "90s", "1m30s", "5m" or 60 (seconds)`,
    });
    return z.NEVER;
  }
  if (ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" must be longer than zero` });
    return z.NEVER;
  }
  return ms;
});

/** A deadline with an upper bound, so a switch's hook and health check fit its activity's time. */
/** A default duration from DEFAULTS, as the schema holds it (ms). */
const ms = (d: string) => parseDuration(d)!;

const boundedDuration = (max: number, what: string) =>
  duration.refine((ms) => ms <= max, { message: `${what} must be at most ${max / 1000}s` });

/** A hook: the command, and how long it may take. */
const hook = strictObject({
  run: z.string().min(1, 'give the command to run'),
  timeout: boundedDuration(120_000, 'a hook timeout').default(ms(DEFAULTS.hookTimeout)),
}).transform((h) => ({ run: h.run, timeoutMs: h.timeout }));

const health = strictObject({
  http: strictObject({
    scheme: z.enum(['http', 'https']).default(DEFAULTS.health.scheme),
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/').default(DEFAULTS.health.path),
    /** Inclusive range of statuses that mean healthy. */
    status: z
      .tuple([z.number().int().min(100), z.number().int().max(599)])
      .default([...DEFAULTS.health.status]),
    /** Text the body must contain; {revision} stands for the release the host was switched to. */
    body: z.string().min(1).optional(),
  }).optional(),
  /** A command run on the host (in the live release's directory); exit 0 means healthy. */
  command: z.string().min(1).optional(),
  deadline: boundedDuration(120_000, 'the health deadline').default(ms(DEFAULTS.health.deadline)),
  interval: duration.default(ms(DEFAULTS.health.interval)),
  timeout: duration.default(ms(DEFAULTS.health.timeout)),
})
  .refine((h) => (h.http === undefined) !== (h.command === undefined), {
    message: 'give exactly one of http and command',
  })
  .transform(({ deadline, interval, timeout, ...check }): HealthSpec => ({
    ...check,
    deadlineMs: deadline,
    intervalMs: interval,
    timeoutMs: timeout,
  }));

/** A number of hosts, or a share of them: 3, "5%". */
const size = z.union([
  z.number().int().min(1, 'must be at least 1 host'),
  z.string().regex(/^(100|\d{1,2}(\.\d+)?)%$/, 'must be a host count (3) or a percentage ("5%")'),
]);

const host = strictObject({
  name: segment('host name'),
  address: z
    .string()
    .refine(isSafeAddress, {
      message: 'must be a DNS name or IP address (and cannot start with "-")',
    })
    .default(DEFAULTS.host.address),
  /** SSH port of this host, when it differs from ssh.port. */
  port: z.number().int().min(1).max(65535).optional(),
  root: absolutePath,
  tags: z.record(z.string(), z.string()).default({}),
});

const seriesName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a series name like http_5xx (letters, digits, _)');

const probe = z.discriminatedUnion('type', [
  strictObject({ type: z.literal('loadavg') }),
  strictObject({ type: z.literal('cpu') }),
  strictObject({
    type: z.literal('log-lines'),
    series: seriesName,
    // "{root}/" may start the path: it stands for each host's deploy root.
    path: z.string().refine((v) => isSafeAbsolutePath(v.replace(/^\{root\}\//, '/')), {
      message: "must be an absolute path, or start with {root}/ (the host's deploy root)",
    }),
    pattern: z.string().min(1),
  }),
  strictObject({
    type: z.literal('log-counts'),
    path: z.string().refine((v) => isSafeAbsolutePath(v.replace(/^\{root\}\//, '/')), {
      message: "must be an absolute path, or start with {root}/ (the host's deploy root)",
    }),
    counts: z.array(strictObject({ series: seriesName, pattern: z.string().min(1) })).min(1),
  }),
  strictObject({
    type: z.literal('prometheus'),
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/').default(DEFAULTS.prometheusPath),
    series: z
      .array(
        strictObject({
          series: seriesName,
          metric: z.string().min(1),
          labels: z.record(z.string(), z.string()).optional(),
          /** A summary's quantile (0.99). */
          quantile: z.number().gt(0).lt(1).optional(),
          /** A histogram's buckets, for metrics of kind quantile. */
          buckets: z.boolean().optional(),
        }),
      )
      .min(1),
  }),
  strictObject({
    // Series from the cluster's metricsSource (a central Prometheus), by PromQL.
    type: z.literal('promql'),
    series: z
      .array(
        strictObject({
          series: seriesName,
          /**
           * An instant query: for one host, in which {host} and {address} stand
           * for it (escaped, inside "..."); or, with hostLabel, for the fleet.
           */
          query: z.string().min(1),
          /** The label that tells whose a sample of a fleet query is (e.g. instance). */
          hostLabel: z
            .string()
            .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name')
            .optional(),
          /** A host's value of hostLabel; {host} and {address} stand for it (default {host}). */
          hostLabelValue: z.string().min(1).optional(),
          /** The query returns a histogram's cumulative buckets (one sample per le). */
          buckets: z.boolean().optional(),
        }).superRefine((x, ctx) => {
          const perHost = /\{(host|address)\}/.test(x.query);
          if (x.hostLabel === undefined && !perHost)
            ctx.addIssue({
              code: 'custom',
              path: ['query'],
              message:
                'names no host, so every host would get the same value: put {host} or {address} in it, or make it a fleet query (by (instance)) and name the label in hostLabel',
            });
          if (x.hostLabel !== undefined && perHost)
            ctx.addIssue({
              code: 'custom',
              path: ['query'],
              message: `is a fleet query (hostLabel ${x.hostLabel}), run once for every host: leave {host} and {address} out of it, and put them in hostLabelValue`,
            });
          if (x.hostLabel === undefined && x.hostLabelValue !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['hostLabelValue'],
              message: 'needs hostLabel, the label it is the value of',
            });
        }),
      )
      .min(1),
  }),
  strictObject({
    type: z.literal('command'),
    argv: z.array(z.string()).min(1),
    series: z.array(seriesName).min(1),
  }),
]);

const metricBase = {
  name: seriesName,
  worse: z.enum(['higher', 'lower']).default(DEFAULTS.worse),
  tolerance: z.number().min(0).max(10),
  critical: z.boolean().default(DEFAULTS.metricCritical),
};

/**
 * A counter judged per request (an error rate) is critical unless the file
 * says otherwise: errors alone roll back. Other metrics default to not
 * critical (a lone regression pauses; two roll back). Applied before the
 * schema so the file's own `critical` always wins.
 */
function errorRatesCritical(m: unknown): unknown {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return m;
  const o = m as Record<string, unknown>;
  return o.kind === 'counter' && o.exposure !== undefined && o.critical === undefined
    ? { ...o, critical: DEFAULTS.errorRateCritical }
    : m;
}

const metric = z.discriminatedUnion('kind', [
  strictObject({
    ...metricBase,
    kind: z.literal('counter'),
    series: seriesName,
    exposure: seriesName.optional(),
    minExposure: z.number().min(0).optional(),
  }),
  strictObject({
    ...metricBase,
    kind: z.literal('gauge'),
    series: seriesName,
    per: seriesName.optional(),
  }),
  // A quantile of a histogram the Prometheus probe reads with `buckets: true`.
  strictObject({
    ...metricBase,
    kind: z.literal('quantile'),
    series: seriesName,
    quantile: z.number().gt(0).lt(1),
    buckets: z
      .array(z.number().positive())
      .min(1)
      .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), {
        message: 'list the bucket bounds in ascending order, as the histogram exposes them',
      }),
  }),
  // Served requests per host: losing `tolerance` of them (default half) is a
  // regression. Derived from the counters' exposure series when not declared.
  strictObject({
    name: seriesName,
    kind: z.literal('traffic'),
    series: seriesName,
    worse: z.literal('lower').default('lower'),
    tolerance: z.number().gt(0).lt(1).default(DEFAULTS.trafficDrop),
    critical: z.boolean().default(DEFAULTS.trafficCritical),
  }),
]);

export const clusterConfigSchema = strictObject({
  cluster: segment('cluster name'),
  transport: z.enum(['local', 'ssh']).default(DEFAULTS.transport),
  ssh: strictObject({
    user: segment('ssh user').optional(),
    port: z.number().int().min(1).max(65535).default(DEFAULTS.ssh.port),
    identityFile: absolutePath.optional(),
    knownHostsFile: absolutePath.optional(),
    acceptUnknownHostKeys: z.boolean().default(DEFAULTS.ssh.acceptUnknownHostKeys),
  }).optional(),
  hosts: z.array(host).min(1, 'list at least one host'),
  canary: strictObject({
    size: size.default(DEFAULTS.canarySize),
    spreadBy: z.array(z.string()).default([...DEFAULTS.spreadBy]),
  }).prefault({}),
  waves: z
    .array(size)
    .min(1)
    .default([...DEFAULTS.waves]),
  /** Hosts kept on the old release as watch controls; 0: a watch without comparison. */
  holdback: z.union([z.literal(0), size]).optional(),
  durations: strictObject({
    baseline: duration.default(ms(DEFAULTS.baseline)),
    soak: duration.default(ms(DEFAULTS.soak)),
    watch: duration.default(ms(DEFAULTS.watch)),
    lookEvery: duration.default(ms(DEFAULTS.lookEvery)),
    /**
     * Readings, each an early look, during a soak: a gate can stop within
     * seconds. Default: 10 s, or lookEvery when that is shorter.
     */
    soakLookEvery: duration.optional(),
    probeTimeout: duration.default(ms(DEFAULTS.probeTimeout)),
  })
    .transform((d) => ({
      ...d,
      soakLookEvery: d.soakLookEvery ?? Math.min(ms(DEFAULTS.soakLookEvery), d.lookEvery),
    }))
    .prefault({}),
  /**
   * Fan-out staging: the worker copies each batch's release to a few seed
   * hosts, which then serve it to the others host to host (README, "Staging
   * a large fleet"). Unset: the worker copies to every host.
   */
  staging: strictObject({
    fanOut: z.union([
      z.literal('auto'),
      strictObject({
        seeds: z.number().int().min(1).max(1000),
        perSeed: z.number().int().min(1).max(256),
        /** A host-to-host copy's bandwidth limit, KiB/s (rsync --bwlimit). */
        bwLimitKiB: z.number().int().min(1).optional(),
      }),
    ]),
  }).optional(),
  retention: strictObject({
    keep: z
      .number()
      .int()
      .min(2, 'keep at least 2 releases (live and rollback)')
      .default(DEFAULTS.keep),
  }).prefault({}),
  maxUnavailable: z.number().int().min(0).default(DEFAULTS.maxUnavailable),
  /** Create a host's deploy root when it does not exist (default: refuse the host). */
  createRoot: z.boolean().default(DEFAULTS.createRoot),
  /**
   * Take over hosts whose current phased does not manage (a symlink outside
   * releases/, or to a missing or unmarked tree); a rollback returns them to
   * that link. Default: refuse them before anything switches.
   */
  adopt: z.boolean().default(DEFAULTS.adopt),
  /**
   * Symlinks in the release source that point outside it (absolute or
   * climbing out with ".."): refuse the source (default), or copy what they
   * point at on the worker (rsync --copy-unsafe-links).
   */
  unsafeSymlinks: z.enum(['refuse', 'copy']).default(DEFAULTS.unsafeSymlinks),
  onInconclusive: z.enum(['pause', 'rollback', 'proceed']).default(DEFAULTS.onInconclusive),
  /**
   * A paused deploy (an inconclusive verdict, or an operator's pause) holds
   * its cluster's queue: after this long with nobody resuming, promoting or
   * aborting it, phased rolls it back. Webhooks hear of every pause.
   */
  pauseTimeout: duration.default(ms(DEFAULTS.pauseTimeout)),
  judge: strictObject({
    alpha: z.number().gt(0).lt(0.5).default(DEFAULTS.judge.alpha),
    canaryShare: z.number().gt(0).lt(1).default(DEFAULTS.judge.canaryShare),
    minCanaryHosts: z.number().int().min(1).optional(),
    minControlHosts: z.number().int().min(1).optional(),
    maxMissingFraction: z.number().min(0).max(1).optional(),
    /**
     * Most hosts read at each reading: a larger fleet is judged on a spread
     * sample of its canaries, later waves and held-back hosts (default 1000).
     */
    maxHostsRead: z.number().int().min(20).optional(),
  }).prefault({}),
  /**
   * Commands run on each host at named points of a deploy, in a shell there,
   * with the release in environment variables (PHASED_REVISION,
   * PHASED_RELEASE_PATH...), never in the command text. A failing afterSwitch
   * hook fails the host's switch (which rolls back per policy); a failing
   * afterStage hook fails its staging.
   */
  hooks: strictObject(
    Object.fromEntries(HOOK_NAMES.map((name) => [name, hook.optional()])) as Record<
      HookName,
      z.ZodOptional<typeof hook>
    >,
  ).prefault({}),
  /**
   * A central Prometheus that promql probes query. Its token is read on the
   * worker, from a file or an environment variable: never in the cluster
   * file, so never in a workflow's history.
   */
  metricsSource: strictObject({
    type: z.literal('prometheus'),
    url: z.url({ protocol: /^https?$/ }),
    bearerTokenFile: absolutePath.optional(),
    bearerTokenEnv: envName.optional(),
    /**
     * Request headers (e.g. X-Scope-OrgID for Mimir or Cortex): a literal
     * value (kept in the history: not for secrets), or read on the worker.
     */
    headers: z
      .record(
        z.string(),
        z.union([z.string(), strictObject({ env: envName }), strictObject({ file: absolutePath })]),
      )
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers))
          if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `${JSON.stringify(name)} is not an HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)`,
            });
      })
      .optional(),
  })
    .refine((m) => m.bearerTokenFile === undefined || m.bearerTokenEnv === undefined, {
      message: 'give at most one of bearerTokenFile and bearerTokenEnv',
    })
    .refine(
      (m) =>
        (m.bearerTokenFile === undefined && m.bearerTokenEnv === undefined) ||
        !Object.keys(m.headers ?? {}).some((h) => h.toLowerCase() === 'authorization'),
      {
        message:
          'give the token as bearerTokenFile/bearerTokenEnv or as an authorization header, not both',
      },
    )
    .optional(),
  /**
   * Who may do what to this cluster, by operator identity (the subject of
   * the caller's mTLS certificate where there is one; see the README's trust
   * model). An action not listed is refused to everyone; "*" is anyone the
   * Temporal namespace lets in. Without `access`, anyone may (a warning).
   */
  access: strictObject(
    Object.fromEntries(ACCESS_ACTIONS.map((a) => [a, z.array(identity).optional()])) as Record<
      AccessAction,
      z.ZodOptional<z.ZodArray<typeof identity>>
    >,
  ).optional(),
  /**
   * The only environment hooks and command health checks get beside the
   * PHASED_* variables (and PATH, unless set here): literal values, kept in
   * the history, so not for secrets.
   */
  hookEnv: z
    .record(
      envName,
      z.string().refine((v) => !v.includes('\0'), 'no NUL characters'),
    )
    .default({}),
  /**
   * Where deploy sources must be on the worker (a builds directory): a
   * source elsewhere is refused, so no caller can ship the worker's own
   * files (its keys) to the fleet.
   */
  sources: absolutePath.optional(),
  /** What must answer before a switched host counts as switched (and before the canary soak starts). */
  health: health.optional(),
  probes: z.array(probe).default([]),
  metrics: z.array(z.preprocess(errorRatesCritical, metric)).default([]),
  batchSize: z.number().int().min(1).max(1000).default(DEFAULTS.batchSize),
  /**
   * Webhooks told of each deploy's start and outcome (Slack-compatible JSON).
   * A webhook URL is a secret: name the worker's environment variable that
   * holds it (`urlEnv`) to keep it out of the workflow's history; `url` is
   * for receivers that need none.
   */
  notify: z
    .array(
      strictObject({
        url: z.url({ protocol: /^https?$/ }).optional(),
        urlEnv: envName.optional(),
      }).refine((n) => (n.url === undefined) !== (n.urlEnv === undefined), {
        message: 'give exactly one of url and urlEnv',
      }),
    )
    .default([]),
}).superRefine((c, ctx) => {
  const seen = new Map<string, number>();
  c.hosts.forEach((h, i) => {
    const first = seen.get(h.name);
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['hosts', i, 'name'],
        message: `duplicate host name ${h.name} (also hosts[${first}]): give every host its own name`,
      });
    else seen.set(h.name, i);
  });
  c.probes.forEach((p, i) => {
    if (p.type === 'promql' && !c.metricsSource)
      ctx.addIssue({
        code: 'custom',
        path: ['probes', i, 'type'],
        message:
          'a promql probe needs the Prometheus it queries: add metricsSource: { type: prometheus, url: ... }',
      });
  });
  const produced = new Set(probeSeries(c.probes));
  const histograms = new Set(
    c.probes.flatMap((p) =>
      p.type === 'prometheus' || p.type === 'promql'
        ? p.series.filter((x) => x.buckets).map((x) => x.series)
        : [],
    ),
  );
  const names = new Set<string>();
  c.metrics.forEach((m, i) => {
    if (names.has(m.name))
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', i, 'name'],
        message: `duplicate metric name ${m.name}: metric names must be unique`,
      });
    names.add(m.name);
    const refs: [string, string | undefined][] = [
      ['series', m.series],
      m.kind === 'counter'
        ? ['exposure', m.exposure]
        : m.kind === 'gauge'
          ? ['per', m.per]
          : ['series', undefined],
    ];
    if (m.kind === 'quantile' && produced.has(m.series) && !histograms.has(m.series))
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', i, 'series'],
        message: `${m.series} is not a histogram: read it with buckets: true in its prometheus or promql probe`,
      });
    if (m.kind !== 'quantile' && histograms.has(m.series))
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', i, 'kind'],
        message: `${m.series} is a histogram's buckets: judge it with kind: quantile, or read its _sum and _count as plain series`,
      });
    for (const [field, ref] of refs)
      if (ref !== undefined && !produced.has(ref))
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, field],
          message: `no probe produces series ${ref}: add a probe for it or use one of: ${[...produced].join(', ') || '(no probes configured)'}`,
        });
  });
  checkHostIdentities(c, ctx);
  checkSizes(c, ctx);
  checkReadings(c, ctx);
  if (c.maxUnavailable >= c.hosts.length)
    ctx.addIssue({
      code: 'custom',
      path: ['maxUnavailable'],
      message: `must be below the number of hosts (${c.hosts.length})`,
    });
  if (c.transport === 'ssh' && !c.ssh)
    ctx.addIssue({
      code: 'custom',
      path: ['ssh'],
      message: 'transport ssh needs an ssh section (user, identityFile, knownHostsFile)',
    });
});

type Ctx = z.core.$RefinementCtx;
type Parsed = {
  transport: 'local' | 'ssh';
  ssh?: { port: number };
  hosts: { name: string; address: string; port?: number; root: string }[];
  canary: { size: number | string };
  holdback?: number | string;
  durations: Record<'baseline' | 'soak' | 'watch' | 'lookEvery' | 'soakLookEvery', number>;
  metrics: unknown[];
};

/** Two entries for one machine (or one directory) would be deployed and counted twice. */
function checkHostIdentities(c: Parsed, ctx: Ctx) {
  const seen = new Map<string, number>();
  c.hosts.forEach((h, i) => {
    const key =
      c.transport === 'local'
        ? h.root.replace(/\/+$/, '')
        : `${h.address}:${h.port ?? c.ssh?.port ?? 22}`;
    const first = seen.get(key);
    if (first === undefined) return void seen.set(key, i);
    ctx.addIssue({
      code: 'custom',
      path: ['hosts', i, c.transport === 'local' ? 'root' : 'address'],
      message:
        c.transport === 'local'
          ? `same root ${h.root} as hosts[${first}]: every local host needs its own directory`
          : `same address and port ${key} as hosts[${first}]: one machine listed twice; remove one or give each host its own address`,
    });
  });
}

/** Host count from a size, as the plan resolves it (without clamping). */
function count(size: number | string, total: number): number {
  return typeof size === 'number'
    ? size
    : Math.max(1, Math.ceil((Number(size.slice(0, -1)) / 100) * total));
}

/** The canary needs control hosts beside it; a holdback needs hosts to switch before it. */
function checkSizes(c: Parsed, ctx: Ctx) {
  const total = c.hosts.length;
  const canary = count(c.canary.size, total);
  // A single host with nothing to judge is a plain switch; anything else needs controls.
  const judged = total > 1 || c.metrics.length > 0;
  if (canary >= total && judged)
    ctx.addIssue({
      code: 'custom',
      path: ['canary', 'size'],
      message: `${canary} canary host(s) of ${total} leaves no control host to compare with: use at most ${Math.max(1, total - 1)}`,
    });
  if (c.holdback === undefined || canary >= total) return;
  const holdback = count(c.holdback, total);
  const most = total - canary - 1;
  if (holdback > most)
    ctx.addIssue({
      code: 'custom',
      path: ['holdback'],
      message: `${holdback} held-back host(s) with ${canary} canary host(s) of ${total} leaves no host for the waves: use at most ${most}${most === 0 ? ' (remove holdback, or add hosts)' : ''}`,
    });
}

/** Bounded looks: each phase takes at most MAX_READINGS_PER_PHASE readings. */
function checkReadings(c: Parsed, ctx: Ctx) {
  for (const phase of ['baseline', 'soak', 'watch'] as const) {
    const field = phase === 'soak' ? 'soakLookEvery' : 'lookEvery';
    const every = c.durations[field];
    const readings = Math.ceil(c.durations[phase] / every);
    if (readings > MAX_READINGS_PER_PHASE)
      ctx.addIssue({
        code: 'custom',
        path: ['durations', phase],
        message: `${formatDuration(c.durations[phase])} with a reading every ${formatDuration(every)} is ${readings} readings, more than the ${MAX_READINGS_PER_PHASE} a phase may take: raise ${field} to at least ${formatDuration(Math.ceil(c.durations[phase] / MAX_READINGS_PER_PHASE / 1000) * 1000)} or shorten ${phase}`,
      });
  }
}

export type ClusterConfig = z.output<typeof clusterConfigSchema>;
export type ProbeConfig = ClusterConfig['probes'][number];

// A configured host is the vocabulary's Host (one type for a host everywhere).
type Assignable<T extends U, U> = T;
export type ConfiguredHost = Assignable<ClusterConfig['hosts'][number], Host>;

/** Series each probe produces, in configuration order. */
export function probeSeries(probes: readonly ProbeConfig[]): string[] {
  return probes.flatMap((p) => {
    switch (p.type) {
      case 'loadavg':
        return [...BUILTIN_SERIES.loadavg];
      case 'cpu':
        return [...BUILTIN_SERIES.cpu];
      case 'log-lines':
        return [p.series];
      case 'log-counts':
        return p.counts.map((c) => c.series);
      case 'prometheus':
      case 'promql':
        return p.series.map((s) => s.series);
      case 'command':
        return p.series;
    }
  });
}
