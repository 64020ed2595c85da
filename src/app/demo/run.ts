// The demo: a real fleet on this machine under steady traffic, and two
// deploys through the real workflow: a good build that goes live everywhere,
// then a bad one that the canary catches and phased rolls back on its own.
// `phased demo` runs it; the end-to-end test runs the same function.
import { accessLogProbe, errorRateMetric } from './access-log.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { lookLabel } from '../cli/format.js';
import { createPhasedClient, startDeploy, outcomeOf } from '../client.js';
import { parseClusterConfig } from '../../config/load.js';
import { ClusterStore } from '../../config/store.js';
import { DEFAULTS } from '../../core/defaults.js';
import type { ClusterConfig } from '../../config/schema.js';
import type { TemporalServer } from '../devserver.js';
import { treeChecksum } from '../../releases/checksum.js';
import { flipRelease, stageRelease } from '../../releases/ops.js';
import { eventually } from '../../poll.js';
import { LocalTransport } from '../../transport/local.js';
import { SshTransport } from '../../transport/ssh.js';
import type { HostTransport } from '../../transport/types.js';
import type { Host } from '../../core/vocabulary.js';
import { startPhasedWorker } from '../worker.js';
import { queueWorkflowId } from '../../../workflows/cluster-queue.js';
import { statusQuery, type deploy as deployWorkflow } from '../../../workflows/deploy.js';
import type { DeployOutcome } from '../../../workflows/model.js';
import { DURATION_BUCKETS, startAppServer, type AppServer, type Behaviour } from './app-server.js';
import { writeBuild } from './builds.js';
import { PROMETHEUS_BINARY, startPrometheus, type PrometheusServer } from './prometheus.js';
import { sshdAvailable, startSshdFleet, type SshdFleet } from './sshd-fleet.js';
import { startTraffic, type Response, type Traffic } from './traffic.js';

export interface DemoOptions {
  server: TemporalServer;
  hosts?: number;
  /** Requests per second to each host. */
  rate?: number;
  /** 'auto': SSH when OpenSSH server is installed, local otherwise. */
  transport?: 'auto' | 'ssh' | 'local';
  /**
   * Where the judge's series come from: a Prometheus the demo runs, scraping
   * the web servers ('prometheus'), or each host read directly ('probes').
   * 'auto': Prometheus when it is installed.
   */
  metrics?: 'auto' | 'prometheus' | 'probes';
  /** The bad build's behaviour. */
  badErrorRate?: number;
  badLatencyMs?: number;
  /** A tail-only bad build: every 10th request this much slower, errors unchanged; judged on p95. */
  badTailMs?: number;
  /** Shortened for the demo; the same code paths as the defaults. */
  durations?: {
    baseline: string;
    soak: string;
    watch: string;
    lookEvery: string;
    soakLookEvery?: string;
  };
  /** First octet of the hosts' loopback addresses (127.0.0.x). */
  firstOctet?: number;
  workflowBundle?: WorkflowBundleOption;
  log?: (line: string) => void;
  /** Aborting stops everything the demo started and rejects with DemoInterrupted. */
  signal?: AbortSignal;
}

export class DemoInterrupted extends Error {
  constructor() {
    super('the demo was interrupted; everything it started has been stopped');
    this.name = 'DemoInterrupted';
  }
}

export interface DeployReport {
  workflowId: string;
  revision: string;
  outcome: DeployOutcome;
  /** Hosts on each release right after the deploy ended. */
  currents: Record<string, string | null>;
}

export interface DemoResult {
  transport: 'ssh' | 'local';
  metrics: 'prometheus' | 'probes';
  hosts: string[];
  good: DeployReport;
  bad: DeployReport;
  /** A build whose web server does not start. */
  crash: DeployReport;
  traffic: Response[];
  /** Release live on each host at the end. */
  currents: Record<string, string | null>;
}

export const DEMO_DURATIONS = {
  baseline: '15s',
  soak: '15s',
  watch: '15s',
  lookEvery: '5s',
  soakLookEvery: '5s',
};
/** phased's own defaults, for a demo that shows a deploy's real length. */
export const PHASED_DURATIONS = {
  baseline: DEFAULTS.baseline,
  soak: DEFAULTS.soak,
  watch: DEFAULTS.watch,
  lookEvery: DEFAULTS.lookEvery,
  soakLookEvery: DEFAULTS.soakLookEvery,
};
// A background error rate of 2% and 50 requests/s per host give the judge
// enough errors within the short demo windows to tell x6 from x1 on 8 hosts.
const BASE: Omit<Behaviour, 'revision'> = { errorRate: 0.02, latencyMs: 2 };
export const DEMO_RATE = 50;
export const DEMO_BAD_ERROR_RATE = 0.15;

/** A port free on every one of these addresses (each host listens on its own). */
async function commonFreePort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(
      addresses.map(
        (address) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once('error', () => resolve(false));
            s.listen(port, address, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return port;
  }
  throw new Error('no port is free on every demo address');
}

/** The demo's reload hook: the host asks its own web server to load the release current names. */
const reloadCommand = (port: number) =>
  `curl -fsS --max-time 5 -X POST "http://$PHASED_ADDRESS:${port}/-/reload"`;

export function demoConfig(...args: Parameters<typeof demoClusterDoc>): ClusterConfig {
  return parseClusterConfig(demoClusterDoc(...args));
}

/** The demo cluster's file, as an operator would write it for the worker. */
export function demoClusterDoc(
  cluster: string,
  hosts: { name: string; address: string; port?: number; root: string }[],
  metricsPort: number,
  durations: DemoOptions['durations'],
  ssh?: SshdFleet,
  /** Judge p95 latency too (the tail-only bad build). */
  tail = false,
  /** The Prometheus that scrapes the web servers: read every series from it. */
  prometheusUrl?: string,
): Record<string, unknown> {
  return {
    cluster,
    transport: ssh ? 'ssh' : 'local',
    ...(ssh ? { ssh: { identityFile: ssh.clientKey, knownHostsFile: ssh.knownHosts } } : {}),
    hosts: hosts.map((h, i) => ({ ...h, tags: { zone: `zone-${(i % 2) + 1}` } })),
    canary: { size: 2, spreadBy: ['zone'] },
    holdback: 3,
    // 8 hosts is a tiny fleet: a looser alpha than the default 0.001, and a
    // verdict that cannot decide rolls back instead of pausing for a person.
    judge: { alpha: 0.01 },
    onInconclusive: 'rollback',
    durations: { ...DEMO_DURATIONS, ...durations, probeTimeout: '5s' },
    // Each web server runs the release it loaded until told to reload, as app
    // servers do: the hooks tell it, on the host, after every switch.
    hooks: {
      afterSwitch: { run: reloadCommand(metricsPort), timeout: '10s' },
      afterRollback: { run: reloadCommand(metricsPort), timeout: '10s' },
    },
    health: {
      http: { port: metricsPort, path: '/healthz', body: 'ok {revision}' },
      deadline: '5s',
      interval: '200ms',
      timeout: '1s',
    },
    ...(prometheusUrl
      ? {
          metricsSource: { type: 'prometheus', url: prometheusUrl },
          probes: [promqlProbe(tail)],
        }
      : { probes: directProbes(metricsPort) }),
    metrics: demoMetrics(tail, prometheusUrl === undefined),
  };
}

/**
 * The web servers' counters and latency histogram from Prometheus: one query
 * per series for the whole fleet, split among the hosts by the `host` label
 * the demo's scrape configuration gives each target.
 */
function promqlProbe(tail: boolean) {
  const fleet = (series: string, metric: string) => ({
    series,
    query: `sum by (host) (${metric}{job="fleet"})`,
    hostLabel: 'host',
  });
  return {
    type: 'promql',
    series: [
      fleet('http_requests', 'demo_http_requests_total'),
      fleet('http_5xx', 'demo_http_errors_total'),
      // The same query as http_requests: it runs once.
      fleet('served', 'demo_http_requests_total'),
      fleet('duration_ms', 'demo_http_duration_ms_sum'),
      ...(tail
        ? [
            {
              series: 'duration',
              query: 'sum by (host, le) (demo_http_duration_seconds_bucket{job="fleet"})',
              hostLabel: 'host',
              buckets: true,
            },
          ]
        : []),
    ],
  };
}

/** Each host read directly: its access and error logs, and its web server's /metrics. */
function directProbes(metricsPort: number) {
  return [
    accessLogProbe,
    {
      type: 'log-lines',
      path: '{root}/logs/error.log',
      series: 'error_log_lines',
      pattern: ' ERROR ',
    },
    {
      type: 'prometheus',
      port: metricsPort,
      series: [
        { series: 'served', metric: 'demo_http_requests_total' },
        { series: 'duration_ms', metric: 'demo_http_duration_ms_sum' },
        { series: 'duration', metric: 'demo_http_duration_seconds', buckets: true },
      ],
    },
  ];
}

/** What the judge compares; the error log is read only from the hosts (Prometheus has no count of it). */
function demoMetrics(tail: boolean, errorLog: boolean) {
  return [
    // A 15 s demo soak sees about 1,500 requests on 2 canaries.
    { ...errorRateMetric, minExposure: 300 },
    ...(errorLog
      ? [
          {
            name: 'error_log',
            kind: 'counter',
            series: 'error_log_lines',
            exposure: 'http_requests',
            tolerance: 0.2,
            minExposure: 300,
          },
        ]
      : []),
    // Milliseconds per request, judged as a rate: with 2 canaries a rank
    // test on per-host gauges could never reach the judge's alpha.
    {
      name: 'latency_ms',
      kind: 'counter',
      series: 'duration_ms',
      exposure: 'served',
      tolerance: 0.5,
      minExposure: 300,
    },
    // p95 from the app's latency histogram: the tail a mean hides.
    ...(tail
      ? [
          {
            name: 'p95_latency',
            kind: 'quantile',
            series: 'duration',
            quantile: 0.95,
            buckets: DURATION_BUCKETS,
            tolerance: 0.5,
            critical: true,
          },
        ]
      : []),
  ];
}

/** Until every web server has been scraped about once a second over the last `seconds`. */
async function waitForHistory(url: string, hosts: number, seconds: number) {
  const query = `count(count_over_time(demo_http_requests_total{job="fleet"}[${seconds}s]) >= ${seconds - 1})`;
  await eventually(
    async () => {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await r.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0) === hosts;
    },
    {
      what: `${seconds} s of history in Prometheus`,
      timeoutMs: (seconds + 60) * 1000,
      intervalMs: 500,
    },
  );
}

/** Waits for a deploy's outcome, printing each phase and verdict as it happens. */
async function withProgress(
  handle: WorkflowHandle<typeof deployWorkflow>,
  log: (line: string) => void,
): Promise<DeployOutcome> {
  let phase = '';
  let verdicts = 0;
  let paused = false;
  const result = outcomeOf(handle);
  for (;;) {
    const done = await Promise.race([result.then(() => true), delay(1000).then(() => false)]);
    if (done) return result;
    const s = await handle.query(statusQuery).catch(() => null);
    if (!s) continue;
    if (s.phase !== phase) log(`  ${s.revision}: ${(phase = s.phase)}`);
    for (const v of s.verdicts.slice(verdicts))
      if (v.phase !== 'watch' || v.verdict !== 'pass')
        log(`  ${s.revision}: ${lookLabel(v)}: ${v.verdict}: ${v.reason}`);
    verdicts = s.verdicts.length;
    if (s.paused !== paused && (paused = s.paused))
      log(`  ${s.revision}: PAUSED: ${s.pausedReason ?? ''}`);
  }
}

function currentOf(root: string): string | null {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'current/release.json'), 'utf8')) as Behaviour)
      .revision;
  } catch {
    return null;
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { signal } = options;
  if (signal?.aborted) throw new DemoInterrupted();
  let onAbort = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new DemoInterrupted());
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  interrupted.catch(() => {}); // observed by the race below
  const stops: (() => Promise<void>)[] = [];
  try {
    return await Promise.race([demo(options, stops), interrupted]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Last started, first stopped: traffic, then servers, then the fleet.
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

async function demo(options: DemoOptions, stops: (() => Promise<void>)[]): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.hosts ?? 8;
  const useSsh = options.transport === 'ssh' || (options.transport !== 'local' && sshdAvailable());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-demo-'));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const firstOctet = options.firstOctet ?? 61;
  let ssh: SshdFleet | undefined;
  let hosts: Host[];
  let transport: HostTransport;
  if (useSsh) {
    ssh = await startSshdFleet(n, firstOctet);
    const fleet = ssh;
    stops.push(() => fleet.stopAll());
    hosts = ssh.hosts.map((h, i) => ({
      name: `web-${i + 1}`,
      address: h.address,
      port: h.port,
      root: h.root,
    }));
    const t = new SshTransport(ssh.transportOptions(ssh.hosts[0]!));
    stops.push(() => t.close());
    transport = t;
    log(
      `phased demo: ${n} hosts, each a real sshd on ${hosts[0]!.address}-${hosts.at(-1)!.address}, reached over SSH`,
    );
  } else {
    hosts = Array.from({ length: n }, (_, i) => ({
      name: `web-${i + 1}`,
      address: `127.0.0.${firstOctet + i}`,
      root: path.join(dir, 'hosts', `web-${i + 1}`),
    }));
    transport = new LocalTransport();
    log(
      `phased demo: ${n} hosts as directories on this machine, reached with the local transport (install openssh-server for SSH)`,
    );
  }
  const metricsPort = await commonFreePort(hosts.map((h) => h.address));
  const metrics =
    options.metrics === 'prometheus' ||
    (options.metrics !== 'probes' && existsSync(PROMETHEUS_BINARY))
      ? 'prometheus'
      : 'probes';
  let prometheus: PrometheusServer | undefined;
  if (metrics === 'prometheus') {
    // Scrapes every web server each second, each target labelled with its host's name.
    const server = await startPrometheus({
      dir: path.join(dir, 'prometheus'),
      scrapeInterval: '1s',
      targets: hosts.map((h) => ({
        address: `${h.address}:${metricsPort}`,
        labels: { host: h.name },
      })),
    });
    stops.push(() => server.stop());
    prometheus = server;
    log(`phased demo: Prometheus at ${server.url} scrapes the web servers every second`);
  } else
    log(
      'phased demo: each host read directly (its logs and /metrics; install prometheus to read them from Prometheus instead)',
    );
  const doc = demoClusterDoc(
    `demo-${Date.now().toString(36)}`,
    hosts,
    metricsPort,
    options.durations,
    ssh,
    options.badTailMs !== undefined,
    prometheus?.url,
  );
  const config = parseClusterConfig(doc);
  // The worker holds the cluster's file; each deploy names the cluster.
  const clustersDir = path.join(dir, 'clusters');
  mkdirSync(clustersDir, { recursive: true });
  writeFileSync(path.join(clustersDir, `${config.cluster}.yaml`), stringify(doc));
  const builds = path.join(dir, 'builds');
  const v1 = writeBuild(builds, { revision: 'v1', ...BASE });
  const good = writeBuild(builds, { revision: 'good', ...BASE });
  const tail = options.badTailMs;
  const bad = writeBuild(builds, {
    revision: 'bad',
    errorRate:
      BASE.errorRate + (tail === undefined ? (options.badErrorRate ?? DEMO_BAD_ERROR_RATE) : 0),
    latencyMs: options.badLatencyMs ?? BASE.latencyMs,
    ...(tail === undefined ? {} : { tailMs: tail }),
  });

  // The state an earlier deploy would have left: v1 live everywhere.
  const tree = await treeChecksum(v1);
  for (const h of hosts) {
    await stageRelease(transport, h, { revision: 'v1', source: v1, tree });
    await flipRelease(transport, h, 'v1');
  }
  const servers: AppServer[] = [];
  for (const h of hosts)
    servers.push(
      await startAppServer({ name: h.name, address: h.address, port: metricsPort, root: h.root }),
    );
  stops.push(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  const rate = options.rate ?? DEMO_RATE;
  const traffic: Traffic = startTraffic(servers, rate);
  stops.push(() => traffic.stop());
  log(
    `phased demo: v1 is live; ${n} web servers on port ${metricsPort} get ${rate} requests/s each`,
  );

  if (prometheus) {
    // A deploy reads its baseline from Prometheus's history: let it hold one.
    const seconds = Math.ceil(config.durations.baseline / 1000);
    log(
      `phased demo: waiting until Prometheus holds the ${seconds} s of traffic a baseline covers`,
    );
    await waitForHistory(prometheus.url, hosts.length, seconds);
  }
  const worker = await startPhasedWorker(options.server, {
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    clusters: new ClusterStore(clustersDir),
  });
  stops.push(() => worker.stop());
  const pc = await createPhasedClient(options.server);
  stops.push(() => pc.close());
  // Runs before the client closes: nothing the demo started keeps running
  // on the server (a deploy interrupted by Ctrl-C, the cluster's queue).
  const started = [queueWorkflowId(config.cluster)];
  stops.push(async () => {
    for (const id of started)
      await Promise.race([
        pc.client.workflow
          .getHandle(id)
          .terminate('the phased demo stopped')
          .catch(() => {}), // already finished
        delay(5_000), // the server itself may be gone
      ]);
  });

  const currents = () =>
    Object.fromEntries(hosts.map((h) => [h.name, currentOf(h.root)])) as Record<
      string,
      string | null
    >;
  const deploy = async (revision: string, source: string, reason: string) => {
    log(`phased demo: deploying ${revision} (${reason})`);
    const handle = await startDeploy(pc, {
      cluster: config.cluster,
      revision,
      source,
      operator: 'demo',
      reason,
    });
    started.push(handle.workflowId);
    const outcome = await withProgress(handle, log);
    log(`phased demo: ${revision}: ${outcome.outcome}: ${outcome.summary}`);
    return { workflowId: handle.workflowId, revision, outcome, currents: currents() };
  };
  const goodReport = await deploy('good', good, 'same behaviour as v1');
  const badReport = await deploy(
    'bad',
    bad,
    tail === undefined
      ? `${Math.round((options.badErrorRate ?? DEMO_BAD_ERROR_RATE) * 100)}% more requests fail`
      : `every 10th request takes ${tail} ms longer`,
  );
  const crash = writeBuild(builds, { revision: 'crash', ...BASE, startup: 'fails' });
  const crashReport = await deploy('crash', crash, 'its web server does not start');
  await traffic.stop();
  return {
    transport: useSsh ? 'ssh' : 'local',
    metrics,
    hosts: hosts.map((h) => h.name),
    good: goodReport,
    bad: badReport,
    crash: crashReport,
    traffic: traffic.record,
    currents: currents(),
  };
}
