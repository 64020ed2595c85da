// Judge benchmark: false-rollback rate over null deploys and detection rate
// and time per injected regression, for phased's judge and its peers, all on
// the same simulated traces, on the standard fleet and on fleets built to
// stress a judge (low traffic, bursty errors, odd canary hardware, a hot
// host, a load ramp, near-zero traffic). Deterministic for a given seed.
//
//   npx tsx bench/judge/run.ts --seed 1 --null 10000 --per-regression 1000
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../src/paths.js';
import { chanceToCatch } from '../../src/config/power.js';
import { alphaForLook, metricThresholds } from '../../src/judge/index.js';
import { withTrafficMetrics } from '../../src/judge/traffic.js';
import { ALL_JUDGES, ALPHA, PHASED_METRICS, p99Metric, type LookVerdict } from './judges.js';
import {
  createRng,
  DEFAULT_FLEET,
  holdbackOf,
  looksOf,
  NO_REGRESSION,
  simulateDeploy,
  type FleetParams,
  type Regression,
} from './simulate.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    null: { type: 'string', default: '10000' },
    'per-regression': { type: 'string', default: '1000' },
    'scenario-null': { type: 'string', default: '2000' },
    'scenario-per-regression': { type: 'string', default: '300' },
    out: { type: 'string', default: path.join(projectRoot, 'bench/results') },
    // A subset of the scenarios (comma-separated names), written to judge-<names>.{json,md}.
    only: { type: 'string' },
    // Null deploys the judge v3 scenarios run at least (FRR <= 0.1% needs that many).
    'least-null': { type: 'string', default: '2000' },
  },
});
const seed = Number(values.seed);
const nullDeploys = Number(values.null);
const perRegression = Number(values['per-regression']);
const scenarioNull = Number(values['scenario-null']);
const scenarioPerRegression = Number(values['scenario-per-regression']);
const leastNull = Number(values['least-null']);
const command =
  `npx tsx bench/judge/run.ts --seed ${seed} --null ${nullDeploys} --per-regression ${perRegression}` +
  ` --scenario-null ${scenarioNull} --scenario-per-regression ${scenarioPerRegression}` +
  (values.only ? ` --only ${values.only}` : '') +
  (leastNull !== 2000 ? ` --least-null ${leastNull}` : '');

const errors = (x: number, more: Partial<Regression> = {}): Regression => ({
  errors: x,
  latency: 1,
  ...more,
});
const dead: Regression = { errors: 1, latency: 1, traffic: 0, canariesAffected: 1 };

/** Regressions injected on every scenario's fleet, by name. */
interface Scenario {
  name: string;
  about: string;
  params: FleetParams;
  nullDeploys: number;
  perRegression: number;
  regressions: Record<string, Regression>;
  /** Extra detection figures: "<key>" = share of "<of>" caught within `withinSec` of the canary switch. */
  within?: { key: string; of: string; withinSec: number }[];
}

const STANDARD: Scenario = {
  name: 'standard',
  about: 'the standard fleet (below)',
  params: DEFAULT_FLEET,
  nullDeploys,
  perRegression,
  regressions: {
    'errors_x1.2': errors(1.2),
    'errors_x1.5': errors(1.5),
    errors_x2: errors(2),
    errors_x3: errors(3),
    errors_x5: errors(5),
    'latency_+10%': { errors: 1, latency: 1.1 },
    'latency_+50%': { errors: 1, latency: 1.5 },
    late_errors_x3: errors(3, { startsAfterFullSec: 180 }),
    dead_canary: dead,
    all_canaries_dead: { ...dead, canariesAffected: undefined },
    canary_third_traffic: { ...dead, traffic: 1 / 3 },
  },
  within: [
    { key: 'errors_x3_20s', of: 'errors_x3', withinSec: 20 },
    { key: 'errors_x5_10s', of: 'errors_x5', withinSec: 10 },
  ],
};

const variant = (
  name: string,
  about: string,
  params: Partial<FleetParams>,
  regressions: Record<string, Regression>,
): Scenario => ({
  name,
  about,
  params: { ...DEFAULT_FLEET, ...params },
  nullDeploys: scenarioNull,
  perRegression: scenarioPerRegression,
  regressions,
});

/** A judge v3 fleet (issue 27): at least --least-null null deploys, whatever --scenario-null says. */
const v3 = (sc: Scenario): Scenario => ({ ...sc, nullDeploys: Math.max(scenarioNull, leastNull) });

const FINE_HISTOGRAM = {
  bounds: [10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 1000],
  sigma: 0.35,
};
/** Prometheus's default buckets (client libraries' DefBuckets), in ms. */
const PROMETHEUS_HISTOGRAM = {
  bounds: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
  sigma: 0.35,
};
/** The spread that moves a sigma-0.35 lognormal's p99 x1.5 at the same mean. */
const P99_X1_5_SPREAD = 0.567 / 0.35;
const TAIL_200MS: Regression = { errors: 1, latency: 1, tail: { share: 0.01, ms: 200 } };

const ALL_SCENARIOS: Scenario[] = [
  STANDARD,
  variant(
    'canary_5pct',
    'the standard fleet with a 5% canary (the default before judge v2), 5 hosts, and so 5 held back',
    { canaryFraction: 0.05 },
    {
      errors_x2: errors(2),
      errors_x3: errors(3),
      late_errors_x3: errors(3, { startsAfterFullSec: 180 }),
      dead_canary: dead,
    },
  ),
  variant(
    'wide_low_traffic',
    '250 hosts at 40 req/s, 0.5% errors',
    { hosts: 250, meanRps: 40, baseErrorRate: 0.005 },
    {
      errors_x2: errors(2),
      dead_canary: dead,
      late_errors_x3: errors(3, { startsAfterFullSec: 180 }),
    },
  ),
  v3(
    variant(
      'bursty_errors',
      'error counts with 12x the Poisson variance per reading',
      { errorDispersion: 12 },
      { errors_x2: errors(2), errors_x5: errors(5) },
    ),
  ),
  v3(
    variant(
      'bursty_holdback_20',
      "bursty_errors's fleet with 20 hosts held back for the watch instead of the default 10 (as many as the canary): the watch's controls are what bounds a bursty fleet's watch",
      { errorDispersion: 12, holdback: 20 },
      { errors_x2: errors(2) },
    ),
  ),
  variant(
    'canary_hardware',
    'canaries on other hardware: 1.5x the error rate and 1.2x the latency, before and after',
    { canaryHardware: { errors: 1.5, latency: 1.2 } },
    { errors_x2: errors(2), 'latency_+10%': { errors: 1, latency: 1.1 } },
  ),
  variant(
    'hot_control_host',
    'one control host with 5x the error rate and latency of the rest',
    { hotHost: 5 },
    { errors_x2: errors(2) },
  ),
  variant(
    'load_ramp',
    'traffic ramps by up to ±100% over the deploy',
    { drift: { ...DEFAULT_FLEET.drift, traffic: 1 } },
    { errors_x2: errors(2), dead_canary: dead },
  ),
  variant(
    'tail_latency',
    'each host exposes a latency histogram (per-request lognormal, sigma 0.35, 13 buckets from 10 ms to 1 s; p99 about 105 ms); phased also judges p99 (tolerated +20%); `tail_+200ms` slows 1% of requests by 200 ms, which moves the mean 4% and p99 about x2',
    { histogram: FINE_HISTOGRAM },
    {
      'tail_+200ms': TAIL_200MS,
      'latency_+10%': { errors: 1, latency: 1.1 },
    },
  ),
  // Judge v3 (issue 27): fleets the judge had been blind or stalled on, each
  // with at least --least-null (2,000) null deploys, whatever --scenario-null says.
  v3(
    variant(
      'counters_30_days',
      "the standard fleet's counters (requests, errors) and a latency `_sum` in seconds started 30 days before the deploy (about 2.6e8 requests, a `_sum` near 1.3e7 s per host); phased judges the mean latency as `_sum` / requests, each value sent as the sampling activity sends it (counters exact, levels to 6 digits)",
      { counterAgeSec: 30 * 86_400 },
      {
        errors_x2: errors(2),
        'latency_+10%': { errors: 1, latency: 1.1 },
        'latency_+30%': { errors: 1, latency: 1.3 },
      },
    ),
  ),
  v3(
    variant(
      'quiet_hosts',
      "30% of the hosts carry 5% of the traffic (a sixth of the mean each, the rest 1.36x), with tail_latency's histogram and p99 judged: a quiet host's 30 s watch window holds fewer than the 500 requests a p99 needs",
      { quietHosts: { share: 0.3, traffic: 0.05 }, histogram: FINE_HISTOGRAM },
      {
        errors_x2: errors(2),
        late_errors_x3: errors(3, { startsAfterFullSec: 180 }),
        'tail_+200ms': TAIL_200MS,
      },
    ),
  ),
  v3(
    variant(
      'coarse_buckets',
      "Prometheus's default histogram buckets (5, 10, 25, 50, 100, 250, 500 ms ...: each 2-2.5x the last) and 70 ms mean latency, so p99 (about 150 ms) sits in the 100-250 ms bucket; p99 judged (tolerated +20%). `p99_x1.5` spreads per-request latency (sigma 0.35 to 0.57, the mean unchanged) so p99 moves to about 225 ms, inside the same bucket; the mean latency gauge does not move",
      { latencyMs: 70, histogram: PROMETHEUS_HISTOGRAM },
      {
        'p99_x1.5': { errors: 1, latency: 1, spread: P99_X1_5_SPREAD },
        'tail_+200ms': TAIL_200MS,
      },
    ),
  ),
  variant(
    'near_zero_traffic',
    '0.2 req/s per host',
    { meanRps: 0.2 },
    { errors_x2: errors(2), dead_canary: dead },
  ),
  v3(
    variant(
      'wide_holdback_3',
      "wide_low_traffic's fleet with 3 hosts held back for the watch (the README example's holdback): `phased plan` warns that this watch is nearly blind and names the holdback that fixes it",
      { hosts: 250, meanRps: 40, baseErrorRate: 0.005, holdback: 3 },
      { errors_x2: errors(2), late_errors_x3: errors(3, { startsAfterFullSec: 180 }) },
    ),
  ),
];

const only = values.only?.split(',');
const unknown = only?.filter((name) => !ALL_SCENARIOS.some((sc) => sc.name === name)) ?? [];
if (unknown.length > 0)
  throw new Error(
    `--only: no scenario ${unknown.join(', ')}; there are ${ALL_SCENARIOS.map((sc) => sc.name).join(', ')}`,
  );
const SCENARIOS = only ? ALL_SCENARIOS.filter((sc) => only.includes(sc.name)) : ALL_SCENARIOS;
const outName = only ? `judge-${only.join('+')}` : 'judge';

interface Tally {
  rollbacks: number;
  paused: number;
  times: number[];
  canaryCatches: number;
}

const emptyTally = (): Tally => ({ rollbacks: 0, paused: 0, times: [], canaryCatches: 0 });

const started = performance.now();
let judgeSeconds = 0;
let phasedLooks = 0;

/** Every judge over `deploys` traces of one regression; tallies by judge. */
function runCase(
  params: FleetParams,
  regression: Regression,
  deploys: number,
  rngSeed: number,
  label: string,
) {
  const rng = createRng(rngSeed);
  const byJudge = new Map<string, Tally>(ALL_JUDGES.map((j) => [j.name, emptyTally()]));
  for (let d = 0; d < deploys; d++) {
    const trace = simulateDeploy(params, regression, rng);
    const looks = looksOf(params, trace);
    for (const j of ALL_JUDGES) {
      const t0 = performance.now();
      const judgeLook = j.forDeploy(params, trace, looks);
      let outcome: LookVerdict = 'pass';
      let at = 0;
      for (const look of looks) {
        outcome = judgeLook(look);
        if (j.name === 'phased') phasedLooks++;
        if (outcome !== 'pass') {
          at = look.atSec;
          break;
        }
      }
      if (j.name === 'phased') judgeSeconds += (performance.now() - t0) / 1000;
      const tally = byJudge.get(j.name)!;
      if (outcome === 'regression') {
        tally.rollbacks++;
        tally.times.push(at);
        if (at <= params.soakSec) tally.canaryCatches++;
      } else if (outcome === 'inconclusive') tally.paused++;
    }
    if ((d + 1) % 1000 === 0) process.stderr.write(`${label}: ${d + 1}/${deploys}\n`);
  }
  return byJudge;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Detection {
  rate: number;
  medianSeconds: number | null;
  deploys: number;
  inCanaryRate: number;
  /** Share caught before any host beyond the canaries switched. */
  canaryRate: number;
  pausedRate: number;
}

interface ScenarioResult {
  about: string;
  falseRollbackRate: number;
  inconclusiveRate: number;
  nullDeploys: number;
  detection: Record<string, Detection>;
}

const results = new Map<string, Map<string, ScenarioResult>>(); // judge -> scenario -> result
for (const j of ALL_JUDGES) results.set(j.name, new Map());

SCENARIOS.forEach((sc) => {
  // Seeds by the scenario's place among all of them: a subset run draws the same traces.
  const si = ALL_SCENARIOS.indexOf(sc);
  const cases: [string, Regression, number][] = [
    ['null', NO_REGRESSION, sc.nullDeploys],
    ...Object.entries(sc.regressions).map(
      ([k, r]) => [k, r, sc.perRegression] as [string, Regression, number],
    ),
  ];
  const tallies = new Map<string, Map<string, Tally>>();
  cases.forEach(([key, regression, deploys], ci) =>
    tallies.set(
      key,
      runCase(sc.params, regression, deploys, seed * 100_000 + si * 1000 + ci, `${sc.name}/${key}`),
    ),
  );
  for (const j of ALL_JUDGES) {
    const nullTally = tallies.get('null')!.get(j.name)!;
    const detection: Record<string, Detection> = {};
    for (const [key, , deploys] of cases.slice(1)) {
      const t = tallies.get(key)!.get(j.name)!;
      detection[key] = {
        rate: t.rollbacks / deploys,
        medianSeconds: median(t.times),
        deploys,
        inCanaryRate: t.canaryCatches / deploys,
        canaryRate: t.canaryCatches / deploys,
        pausedRate: t.paused / deploys,
      };
    }
    for (const w of sc.within ?? []) {
      const t = tallies.get(w.of)!.get(j.name)!;
      const caught = t.times.filter((s) => s <= w.withinSec).length;
      detection[w.key] = {
        rate: caught / sc.perRegression,
        medianSeconds: median(t.times.filter((s) => s <= w.withinSec)),
        deploys: sc.perRegression,
        inCanaryRate: caught / sc.perRegression,
        canaryRate: caught / sc.perRegression,
        pausedRate: t.paused / sc.perRegression,
      };
    }
    results.get(j.name)!.set(sc.name, {
      about: sc.about,
      falseRollbackRate: nullTally.rollbacks / sc.nullDeploys,
      inconclusiveRate: nullTally.paused / sc.nullDeploys,
      nullDeploys: sc.nullDeploys,
      detection,
    });
  }
});

const judges: Record<string, unknown> = {};
for (const j of ALL_JUDGES) {
  const standard = results.get(j.name)!.get('standard');
  judges[j.name] = {
    description: j.description,
    ...(standard
      ? {
          falseRollbackRate: standard.falseRollbackRate,
          falsePauseRate: standard.inconclusiveRate,
          nullDeploys,
          detection: standard.detection,
        }
      : {}),
    scenarios: Object.fromEntries(results.get(j.name)!),
  };
}

const date = new Date().toISOString().slice(0, 10);
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const params = DEFAULT_FLEET;
const result = {
  command,
  seed,
  date,
  machine,
  alpha: ALPHA,
  fleet: params,
  metrics: PHASED_METRICS,
  phasedJudgeMsPerLook: (judgeSeconds * 1000) / phasedLooks,
  wallSeconds: (performance.now() - started) / 1000,
  judges,
};
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, `${outName}.json`), JSON.stringify(result, null, 2) + '\n');

// Markdown tables.
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 && x > 0 ? 2 : 1)}%`;
const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = (head: string[], rows: string[][]) => [
  row(head),
  row(head.map(() => '---')),
  ...rows.map(row),
];
const std = (name: string) => results.get(name)!.get('standard')!;
/** The standard fleet's tables, when it ran. */
function standardTables(): string[] {
  if (!SCENARIOS.includes(STANDARD)) return [];
  const stdKeys = Object.keys(std('phased').detection);
  return [
    `Standard fleet: ${params.hosts} hosts, ${params.meanRps} req/s mean per host (host factor lognormal sigma ${params.hostRateSigma}), ` +
      `error rate ${params.baseErrorRate * 100}% (host factor lognormal sigma ${params.hostErrorSigma}), error counts ` +
      `negative binomial with variance ${params.errorDispersion}x the mean per reading, latency ${params.latencyMs} ms (host sigma ${params.hostLatencySigma}, ` +
      `reading noise ${params.latencyNoise * 100}%, per-host drift sd ${params.hostLatencyDrift * 100}%), fleet-wide drift over the deploy up to ` +
      `±${params.drift.traffic * 100}% traffic, ±${params.drift.errors * 100}% error rate, ±${params.drift.latency * 100}% latency. ` +
      `The workflow's default timing and sizes (from the same DEFAULTS): baseline ${params.baselineSec} s read every ${params.lookEverySec} s, ` +
      `${params.canaryFraction * 100}% canary, ${params.soakSec} s soak read and judged every ${params.intervalSec} s, ${params.watchSec} s watch looking every ${params.lookEverySec} s ` +
      `(as many hosts held back as watch controls).`,
    '',
    'Rates are per deploy. Detection: share of deploys rolled back by the end of the watch (median seconds from the canary switch to the rollback; the deciding canary look is at ' +
      `${params.soakSec} s, its early looks every ${params.intervalSec} s before). \`late_errors_x3\` starts 180 s after the full switch; \`dead_canary\` is one canary serving nothing; ` +
      '`errors_x3_20s` and `errors_x5_10s` count only catches within 20 s and 10 s of the canary switch.',
    '',
    ...table(
      ['judge', `false rollbacks (${nullDeploys} null)`, ...stdKeys],
      ALL_JUDGES.map((j) => {
        const r = std(j.name);
        return [
          j.name,
          pct(r.falseRollbackRate),
          ...stdKeys.map((k) => {
            const d = r.detection[k]!;
            return `${pct(d.rate)} (${d.medianSeconds === null ? '-' : `${d.medianSeconds} s`})`;
          }),
        ];
      }),
    ),
    '',
    'Caught at the canary look (before any host beyond the canaries switched):',
    '',
    ...table(
      ['judge', ...stdKeys],
      ALL_JUDGES.map((j) => [
        j.name,
        ...stdKeys.map((k) => pct(std(j.name).detection[k]!.canaryRate)),
      ]),
    ),
    '',
    `phased paused (inconclusive) ${pct(std('phased').inconclusiveRate)} of null deploys on the standard fleet. ` +
      `phased's judge took ${result.phasedJudgeMsPerLook.toFixed(2)} ms per look.`,
    '',
  ];
}

const lines = [
  '# Judge benchmark',
  '',
  `Command: \`${command}\`  `,
  `Seed: ${seed}. Date: ${date}. Machine: ${machine}. Wall time: ${result.wallSeconds.toFixed(0)} s.`,
  '',
  ...standardTables(),
  '## Scenarios',
  '',
  `Each with ${scenarioNull} null deploys and ${scenarioPerRegression} per regression; otherwise the standard fleet. ` +
    'Cells: false rollbacks / inconclusive on null deploys, then per regression: caught at the canary look / by the end of the watch (median seconds).',
  '',
];
/**
 * What no test of a deploy's pooled error counts could beat by much: the
 * chance to catch x2 (beyond phased's +20% tolerance) for tests that knew the
 * fleet's dispersion, at the fleet's mean error rate (normal approximation,
 * src/config/power.ts). `canary`: the deciding canary look, at the threshold
 * phased gives the error metric there. `watch`: the watch's deciding (last)
 * look, every switched host against the held-back ones, at that look's
 * threshold. `procedure`: either of them, counted as independent (they share
 * little: the canary's controls are the whole rest of the fleet). `holdback`:
 * the fewest held-back hosts for which `procedure` reaches 95%. Host-to-host
 * differences and drift only lower them.
 */
function errorBounds(p: FleetParams) {
  const canaries = Math.min(p.hosts - 1, Math.max(1, Math.ceil(p.hosts * p.canaryFraction - 1e-9)));
  const metrics = withTrafficMetrics(
    p.histogram ? [...PHASED_METRICS, p99Metric(p.histogram.bounds)] : PHASED_METRICS,
  );
  const plan = {
    alpha: ALPHA,
    canaryLooks: 1,
    soakLooks: Math.round(p.soakSec / p.intervalSec),
    watchLooks: Math.round(p.watchSec / p.lookEverySec),
    recentWindow: true,
  };
  const errorsThreshold = (alpha: number) => metricThresholds(metrics, alpha)[0]!;
  const rate = p.meanRps * p.baseErrorRate;
  const catches = (look: Parameters<typeof chanceToCatch>[0]) =>
    chanceToCatch(look, rate, 2, 1.2, p.errorDispersion);
  const canary = catches({
    treated: canaries,
    control: p.hosts - canaries,
    afterSeconds: p.soakSec,
    beforeSeconds: p.baselineSec,
    threshold: errorsThreshold(alphaForLook(plan, 'canary')),
  });
  const watchWith = (holdback: number) =>
    catches({
      treated: p.hosts - holdback,
      control: holdback,
      afterSeconds: p.watchSec,
      beforeSeconds: p.baselineSec,
      threshold: errorsThreshold(alphaForLook(plan, { phase: 'watch', look: plan.watchLooks })),
    });
  const either = (w: number) => 1 - (1 - canary) * (1 - w);
  const watch = watchWith(holdbackOf(p, canaries));
  let holdback = 1;
  while (holdback < p.hosts - canaries - 1 && either(watchWith(holdback)) < 0.95) holdback++;
  return { canary, watch, procedure: either(watch), holdback };
}

for (const sc of SCENARIOS.filter((sc) => sc !== STANDARD)) {
  const keys = Object.keys(sc.regressions);
  lines.push(
    `### ${sc.name}: ${sc.about}`,
    '',
    `${sc.nullDeploys} null deploys, ${sc.perRegression} per regression.` +
      (sc.regressions.errors_x2
        ? ((b) =>
            ` Tests that knew the dispersion (${sc.params.errorDispersion}x Poisson), on the pooled counts at the mean error rate (normal approximation), would catch errors_x2 at the deciding canary look ${pct(b.canary)} of the time and at the watch's deciding look, with ${holdbackOf(sc.params, Math.ceil(sc.params.hosts * sc.params.canaryFraction - 1e-9))} hosts held back, ${pct(b.watch)}; either of the two ${pct(b.procedure)} (counted as independent): what no test at these looks' alphas and this tolerance beats by much (the early looks add a little). 95% by the end of the watch needs ${b.holdback} ${b.holdback === 1 ? 'host' : 'hosts'} held back.`)(
            errorBounds(sc.params),
          )
        : ''),
    '',
  );
  lines.push(
    ...table(
      ['judge', 'false rollbacks', 'inconclusive', ...keys],
      ALL_JUDGES.map((j) => {
        const r = results.get(j.name)!.get(sc.name)!;
        return [
          j.name,
          pct(r.falseRollbackRate),
          pct(r.inconclusiveRate),
          ...keys.map((k) => {
            const d = r.detection[k]!;
            return `${pct(d.canaryRate)} / ${pct(d.rate)} (${d.medianSeconds === null ? '-' : `${d.medianSeconds} s`})`;
          }),
        ];
      }),
    ),
    '',
  );
}
lines.push(...ALL_JUDGES.map((j) => `- **${j.name}**: ${j.description}`), '');
writeFileSync(path.join(values.out, `${outName}.md`), lines.join('\n'));
process.stdout.write(lines.join('\n'));
