// An in-memory fleet standing in for the host and metric activities in
// workflow-logic tests. It records every stage and flip in order, so tests
// can check the deploy invariants, and its judge follows a script. The queue
// activities are the real ones: they talk to the Temporal server under test.
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, type Client } from '@temporalio/client';
import type { Activities } from '../../activities/index.js';
import type { Notification } from '../../activities/notify.js';
import { createQueueActivities } from '../../activities/queue.js';
import { createMetricActivities, type JudgeLookInput } from '../../activities/metrics.js';
import { readingsFetcher } from '../../src/app/temporal/readings-query.js';
import type { ClusterConfig } from '../../src/config/schema.js';
import type { HostFailure } from '../../src/core/vocabulary.js';
import { parseClusterConfig } from '../../src/config/load.js';
import { ClusterStore } from '../../src/config/store.js';
import { accessRefusal } from '../../src/core/access.js';
import { isPhasedError } from '../../src/errors.js';
import { queueDeps } from '../../src/app/worker.js';
import type { JudgeVerdict } from '../../src/judge/types.js';
import {
  rollbackTarget,
  type HostState,
  type SwitchRecord,
} from '../../src/releases/host-state.js';

/** The cluster files the fake worker holds, by cluster name (a test registers its config here). */
export const fakeClusterFiles = new Map<string, ClusterConfig>();

export interface FakeHost {
  current: string | null;
  releases: string[];
  /** Releases marked rejected on this host. */
  rejected: Set<string>;
  /** The host's switch log, as the flip scripts write it. */
  switches: SwitchRecord[];
}

const currentOf = ({ current, currentKind, currentLink }: HostState) => ({
  current,
  currentKind,
  currentLink,
});

/** What an inspection of a fake host reports, in the real parser's terms. */
export function fakeHostState(h: FakeHost): HostState {
  return {
    current: h.current,
    currentKind: h.current === null ? 'none' : 'release',
    currentLink: h.current === null ? null : `releases/${h.current}`,
    releases: h.releases.map((revision, i) => ({ revision, stagedAt: i, checksum: 'x' })),
    rejected: [...h.rejected],
    switches: h.switches,
    strays: [],
    freeKiB: NaN,
    rootExists: true,
  };
}

export interface FleetEvent {
  kind: 'stage' | 'flip';
  host: string;
  revision: string;
  seq: number;
}

export type Script = (look: JudgeLookInput & { index: number }) => JudgeVerdict['verdict'];

/**
 * What a release does to the traffic a host serves: requests per second and
 * error share, or 'silent' for a host whose probes stop answering (its web
 * server, which serves the metrics too, did not start).
 */
export type Serving = (
  host: string,
  release: string | null,
) => { rps: number; errorRate: number } | 'silent';

/** Seconds of traffic between two readings of a traffic-serving fake fleet. */
export const FAKE_READING_SECONDS = 30;

export class FakeFleet {
  readonly hosts = new Map<string, FakeHost>();
  readonly events: FleetEvent[] = [];
  readonly judged: (JudgeLookInput & { index: number })[] = [];
  /** Every host any reading asked for. */
  readonly sampled = new Set<string>();
  failStage = new Set<string>();
  /** The checksum of the tree each host is staged with (a source rewritten mid-staging differs). */
  treeOf = (_host: string, revision: string) => `fake-${revision}`;
  /** What the deploy told its webhooks, in order. */
  readonly notifications: Notification[] = [];
  /** Hosts whose inspection fails (unreachable). */
  failInspect = new Set<string>();
  /** Clusters whose queue this fleet joined (tests end those queue workflows). */
  readonly clusters = new Set<string>();
  /** Hosts whose next flips to a given revision fail: "host@revision". */
  failFlip = new Set<string>();
  script: Script = () => 'pass';
  /**
   * When set, sampling returns cumulative `requests` and `errors` counters
   * that follow it (one reading per FAKE_READING_SECONDS), and looks are
   * decided by phased's real judge instead of the script.
   */
  serving: Serving | null = null;
  /** Real time each sampling takes (the time-skipping server does not skip it). */
  readingDelayMs = 0;
  private readonly served = new Map<string, { requests: number; errors: number }>();
  private readingsTaken = 0;
  private seq = 0;

  constructor(names: string[], current: string | null = 'v1') {
    for (const n of names)
      this.hosts.set(n, {
        current,
        releases: current ? [current] : [],
        rejected: new Set(),
        switches: [],
      });
  }

  /** Current release of every host. */
  currents(): Record<string, string | null> {
    return Object.fromEntries([...this.hosts].map(([n, h]) => [n, h.current]));
  }

  activities(client: Client, taskQueue: string): Activities {
    const real = queueDeps(client, taskQueue);
    const queue = createQueueActivities({
      ...real,
      enqueue: (cluster, request) => {
        this.clusters.add(cluster);
        return real.enqueue(cluster, request);
      },
    });
    const host = (name: string) => {
      const h = this.hosts.get(name);
      if (!h) throw new Error(`no fake host ${name}`);
      return h;
    };
    const fetchReadings = readingsFetcher(client);
    const realJudge = createMetricActivities({
      transport: () => {
        throw new Error('the fake fleet samples without a transport');
      },
      clusters: new ClusterStore('/nonexistent'),
      // An unanswered query is retried by Temporal; it is said here so a run's
      // log shows how often the test server left one unanswered.
      fetchSnapshots: (req) =>
        fetchReadings(req).catch((err: unknown) => {
          if (isPhasedError(err, 'READINGS_UNANSWERED'))
            console.warn(`[fake-fleet] ${err.problem}; Temporal retries the look`);
          throw err;
        }),
    });
    return {
      ...queue,
      // The worker's cluster files, held in memory: what the test registered under the name.
      loadCluster: ({ cluster, action, operator }) => {
        const config = fakeClusterFiles.get(cluster);
        if (!config)
          return Promise.reject(
            ApplicationFailure.nonRetryable(`no cluster ${cluster} (fake)`, 'CLUSTER_UNKNOWN'),
          );
        const refused = accessRefusal(cluster, config.access, action, operator);
        if (refused)
          return Promise.reject(ApplicationFailure.nonRetryable(refused, 'NOT_AUTHORIZED'));
        return Promise.resolve({
          config,
          ref: { cluster, digest: 'f'.repeat(64) },
          file: `/fake/${cluster}.yaml`,
        });
      },
      notify: (n) => {
        this.notifications.push(n);
        return Promise.resolve();
      },
      describeWorker: () =>
        Promise.resolve({ hostname: 'fake', pid: 0, node: 'v0', identity: 'fake' }),
      inspectHosts: ({ hosts }) =>
        Promise.resolve({
          ok: hosts
            .filter((h) => !this.failInspect.has(h.name))
            .map((h) => {
              const state = fakeHostState(host(h.name));
              return {
                host: h.name,
                result: {
                  ...currentOf(state),
                  releases: [...host(h.name).releases].reverse(),
                  rejected: state.rejected,
                  rollback: rollbackTarget(state, h.root),
                },
              };
            }),
          failed: hosts
            .filter((h) => this.failInspect.has(h.name))
            .map((h) => ({
              host: h.name,
              code: 'HOST_UNREACHABLE' as const,
              error: `${h.name}: cannot reach it over SSH (fake)`,
            })),
        }),
      stageHosts: ({ hosts, revision }) => {
        const ok = [];
        const failed: HostFailure[] = [];
        for (const h of hosts) {
          if (this.failStage.has(h.name)) {
            failed.push({ host: h.name, code: 'DISK_FULL', error: `${h.name}: disk full (fake)` });
            continue;
          }
          const fh = host(h.name);
          if (!fh.releases.includes(revision)) fh.releases.push(revision);
          this.events.push({ kind: 'stage', host: h.name, revision, seq: this.seq++ });
          ok.push({
            host: h.name,
            result: {
              previous: fh.current,
              checksum: this.treeOf(h.name, revision),
              adoptedLink: null,
              alreadyStaged: false,
              bytesSent: 0,
            },
          });
        }
        return Promise.resolve({ ok, failed });
      },
      flipHosts: ({ targets }) => {
        const ok = [];
        const failed: HostFailure[] = [];
        for (const { host: h, revision, reject, accept } of targets) {
          const fh = host(h.name);
          if (this.failFlip.has(`${h.name}@${revision}`)) {
            failed.push({
              host: h.name,
              code: 'HOST_COMMAND_FAILED',
              error: `${h.name}: flip failed (fake)`,
            });
            continue;
          }
          if (!fh.releases.includes(revision))
            throw new Error(`invariant broken: flip ${h.name} to unstaged ${revision}`);
          const previous = fh.current;
          fh.current = revision;
          fh.switches.push({
            at: this.seq,
            to: `releases/${revision}`,
            from: previous && `releases/${previous}`,
          });
          if (reject) fh.rejected.add(reject.revision);
          if (accept) fh.rejected.delete(revision);
          this.events.push({ kind: 'flip', host: h.name, revision, seq: this.seq++ });
          ok.push({ host: h.name, result: { previous } });
        }
        return Promise.resolve({ ok, failed });
      },
      pruneHosts: ({ hosts, mark }) =>
        Promise.resolve({
          ok: hosts.map((h) => {
            const fh = host(h.name);
            if (mark?.as === 'reject' && fh.releases.includes(mark.revision))
              fh.rejected.add(mark.revision);
            if (mark?.as === 'accept') fh.rejected.delete(mark.revision);
            return { host: h.name, result: { ...currentOf(fakeHostState(fh)), removed: [] } };
          }),
          failed: [],
        }),
      // Its hosts keep no history: no promql probes here.
      sampleHostsHistory: () =>
        Promise.reject(new Error('the fake fleet keeps no metrics history')),
      sampleHosts: async ({ hosts, series }) => {
        for (const h of hosts) this.sampled.add(h);
        if (this.readingDelayMs > 0) await delay(this.readingDelayMs);
        const serving = this.serving;
        if (!serving)
          return Promise.resolve({
            t: 0,
            v: hosts.map(() => series.map(() => 1)),
            k: null,
            errors: [],
          });
        const t = ++this.readingsTaken * FAKE_READING_SECONDS * 1000;
        const v = hosts.map((name) => {
          const s = this.served.get(name) ?? { requests: 0, errors: 0 };
          this.served.set(name, s);
          const now = serving(name, host(name).current);
          if (now === 'silent') return series.map(() => null);
          // Hosts differ a little: a deterministic wobble of up to 3%.
          const wobble = 1 + ((name.length + this.readingsTaken) % 4) * 0.01;
          const requests = Math.round(now.rps * FAKE_READING_SECONDS * wobble);
          s.requests += requests;
          s.errors += Math.round(requests * now.errorRate);
          return series.map((x) => (x === 'requests' ? s.requests : x === 'errors' ? s.errors : 1));
        });
        return { t, v, k: null, errors: [] };
      },
      judgeLook: (input) => {
        if (this.serving) {
          this.judged.push({ ...input, index: this.judged.length });
          return realJudge.judgeLook(input);
        }
        const look = { ...input, index: this.judged.length };
        this.judged.push(look);
        const verdict = this.script(look);
        return Promise.resolve({
          verdict,
          reason: `scripted ${verdict}`,
          alpha: 0.001,
          metrics: [
            {
              metric: 'errors',
              verdict,
              critical: true,
              reason: `errors: scripted ${verdict} at look ${look.index}`,
              evidence: {
                test: 'none',
                canaryAfter: null,
                controlAfter: null,
                canaryBefore: null,
                controlBefore: null,
                ratio: null,
                toleratedRatio: 1.2,
                pValue: null,
                threshold: 0,
                canaryHosts: input.canary.length,
                controlHosts: input.control.length,
                detail: {},
              },
            },
          ],
        });
      },
    };
  }
}

/** A cluster of local hosts with short durations and one metric, for workflow tests. */
export function testConfig(
  cluster: string,
  names: string[],
  overrides: Record<string, unknown> = {},
): ClusterConfig {
  return parseClusterConfig({
    cluster,
    hosts: names.map((name, i) => ({ name, root: `/srv/${name}`, tags: { zone: `z${i % 2}` } })),
    canary: { size: 2 },
    durations: {
      baseline: '60s',
      soak: '60s',
      watch: '120s',
      lookEvery: '30s',
      soakLookEvery: '30s',
    },
    probes: [{ type: 'loadavg' }],
    metrics: [{ name: 'load', kind: 'gauge', series: 'load1', tolerance: 0.1, critical: true }],
    ...overrides,
  });
}

/** A fleet serving `requests` with `errors`, judged by errors per request (and so traffic). */
/** The serving fleet's one judged metric: errors per request, critical. */
export const servingErrors = {
  name: 'errors',
  kind: 'counter',
  series: 'errors',
  exposure: 'requests',
  tolerance: 0.2,
  critical: true,
} as const;

export function servingConfig(
  cluster: string,
  names: string[],
  overrides: Record<string, unknown> = {},
): ClusterConfig {
  return testConfig(cluster, names, {
    probes: [{ type: 'command', argv: ['true'], series: ['requests', 'errors'] }],
    metrics: [servingErrors],
    ...overrides,
  });
}
