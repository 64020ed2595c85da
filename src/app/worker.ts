// The composition root: the only place where real dependencies are created
// and handed to the activities, and where the worker is assembled.
import { phasedDataConverter } from './temporal/codec.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type LogLevel,
  type NativeConnection,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { createActivities, type Activities, type ActivityDeps } from '../../activities/index.js';
import type { HostDeps } from '../../activities/hosts.js';
import type { TransportSpec } from '../core/vocabulary.js';
import type { QueueDeps } from '../../activities/queue.js';
import { clusterQueue, enqueueSignal, queueWorkflowId } from '../../workflows/cluster-queue.js';
import { readingsFetcher } from './temporal/readings-query.js';
import { currentOrFirst, type WorkerVersion } from './temporal/versioning.js';
import type { TemporalServer } from './devserver.js';
import { ClusterStore } from '../config/store.js';
import { stateDir } from '../paths.js';
import { rememberSecret } from '../secrets/redact.js';
import { cachedTreeChecksum } from '../releases/checksum.js';
import { sourceSnapshots } from '../releases/snapshot.js';
import { connectClient, connectWorker } from './temporal/connect.js';
import { writeLogEntry } from './temporal/worker-log.js';
import { LocalTransport } from '../transport/local.js';
import { SshTransport } from '../transport/ssh.js';
import type { HostTransport } from '../transport/types.js';

/** The workflows entry point: TypeScript source in a checkout, compiled JS in dist/. */
export function workflowsPath(): string {
  for (const ext of ['.ts', '.js']) {
    const candidate = fileURLToPath(new URL(`../../workflows/index${ext}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'workflows/index is missing next to src/: is the checkout or the build complete?',
  );
}

/** Bundles the workflow code once (tests share one bundle per run). */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietBundlerLogger });
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};

/**
 * Keeps the SDK's own logging at PHASED_LOG_LEVEL (default WARN); call once,
 * first. phased handles its own signals: the runtime's default handlers
 * would shut every worker down a second time beside phased's own stop (an
 * IllegalStateError on exit) and swallow a client command's first Ctrl-C.
 */
export function installRuntime(level = (process.env.PHASED_LOG_LEVEL ?? 'WARN') as LogLevel) {
  try {
    Runtime.install({ logger: new DefaultLogger(level, writeLogEntry), shutdownSignals: [] });
  } catch {
    // Already installed in this process (e.g. a test file reusing a fork): keep it.
  }
}

export function workerIdentity(): string {
  return `phased@${os.hostname()}:${process.pid}`;
}

/** SSH transports (and their connection pools) of this worker, by settings. */
const sshTransports = new Map<string, SshTransport>();

/** Closes every pooled SSH connection (worker shutdown). */
export async function closeTransports(): Promise<void> {
  workerSnapshots?.removeAll();
  const all = [...sshTransports.values()];
  sshTransports.clear();
  await Promise.all(all.map((t) => t.close()));
}

const localTransport = new LocalTransport();

/** The transport for a spec; SSH transports are shared so their pools are reused. */
function transport(spec: TransportSpec): HostTransport {
  if (spec.kind === 'local') return localTransport;
  const key = JSON.stringify(spec);
  let ssh = sshTransports.get(key);
  if (!ssh) {
    ssh = new SshTransport({ ...spec });
    sshTransports.set(key, ssh);
  }
  return ssh;
}

/** What the host activities need: no Temporal client (the fleet benchmark uses these alone). */
export function realHostDeps(clusters: ClusterStore): HostDeps {
  return { transport, clusters, treeChecksum: cachedTreeChecksum(), snapshot: snapshots().take };
}

let workerSnapshots: ReturnType<typeof sourceSnapshots> | undefined;
/** This worker process's release snapshots, under its state directory. */
function snapshots() {
  workerSnapshots ??= sourceSnapshots(path.join(stateDir(), 'snapshots'));
  return workerSnapshots;
}

/** The worker's cluster directory: --clusters, else $PHASED_CONFIG_DIR, else ./clusters. */
export function clustersDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.PHASED_CONFIG_DIR ?? 'clusters');
}

/**
 * The clusters a worker holds, versions kept under its state directory so a
 * restarted worker resumes a deploy with the file it started with.
 */
export function workerClusters(dir: string, env: NodeJS.ProcessEnv = process.env): ClusterStore {
  return new ClusterStore(dir, path.join(stateDir(env), 'cluster-versions'), env);
}

/** The worker's own Temporal credentials are secrets too: no hook output may carry them. */
export function rememberWorkerSecrets(env: NodeJS.ProcessEnv = process.env) {
  rememberSecret(env.TEMPORAL_API_KEY);
  for (const file of [env.TEMPORAL_TLS_CLIENT_KEY_PATH])
    if (file)
      try {
        rememberSecret(readFileSync(file, 'utf8'));
      } catch {
        // Connecting reports a missing key file.
      }
}

export interface RealDepsOptions {
  /** A client on the worker's namespace (the queue and the judge talk to Temporal). */
  client: Client;
  taskQueue: string;
  identity?: string;
  /** The clusters this worker holds. */
  clusters: ClusterStore;
}

/** The real dependencies of every activity. */
export function realActivityDeps({
  client,
  taskQueue,
  identity = workerIdentity(),
  clusters,
}: RealDepsOptions): ActivityDeps {
  return {
    clusters: { store: clusters },
    preflight: {
      hostname: () => os.hostname(),
      pid: process.pid,
      nodeVersion: process.version,
      identity,
    },
    hosts: realHostDeps(clusters),
    metrics: {
      transport,
      clusters,
      fetchSnapshots: readingsFetcher(client),
    },
    queue: queueDeps(client, taskQueue),
    notify: { env: process.env, clusters },
  };
}

/** The cluster queue through Temporal itself: signalWithStart to join, describe to check a holder. */
export function queueDeps(client: Client, taskQueue: string): QueueDeps {
  return {
    enqueue: async (cluster, request) => {
      await client.workflow.signalWithStart(clusterQueue, {
        workflowId: queueWorkflowId(cluster),
        taskQueue,
        args: [{ cluster, holder: null, waiting: [], newestRun: 0 }],
        signal: enqueueSignal,
        signalArgs: [request],
        staticSummary: `deploy queue of cluster ${cluster}`,
      });
    },
    isOpen: async (workflowId) => {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}

/** The real activities, wired to this worker's client. */
export function realActivities(options: RealDepsOptions): Activities {
  return createActivities(realActivityDeps(options));
}

export interface PhasedWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle; without one the worker bundles workflows/ itself. */
  workflowBundle?: WorkflowBundleOption;
  /** Activities to register: realActivities() in production, fakes in workflow tests. */
  activities: Activities;
  identity?: string;
  /** Activities this worker runs at once (the SDK's default otherwise). */
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * The Worker Deployment Version this worker polls as (src/app/temporal/versioning.ts).
   * Workflows are pinned to the version they started on unless they declare
   * otherwise (the cluster queue upgrades). Without it the worker is unversioned.
   */
  version?: WorkerVersion;
}

export async function createPhasedWorker(options: PhasedWorkerOptions): Promise<Worker> {
  const identity = options.identity ?? workerIdentity();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity,
    dataConverter: phasedDataConverter,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: workflowsPath() }),
    activities: options.activities,
    ...(options.maxConcurrentActivityTaskExecutions
      ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(options.version
      ? {
          workerDeploymentOptions: {
            version: options.version,
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }
      : {}),
  });
}

/**
 * Runs a worker with the real activities against `server` until stop();
 * the CLI's commands and the demo use it.
 */
export async function startPhasedWorker(
  server: TemporalServer,
  options: {
    workflowBundle?: WorkflowBundleOption;
    clusters: ClusterStore;
    version?: WorkerVersion;
  },
) {
  rememberWorkerSecrets();
  const target = { address: server.address, settings: server.settings, fromEnv: !server.embedded };
  const connection = await connectWorker(target);
  const clientConnection = await connectClient(target);
  const client = new Client({
    connection: clientConnection,
    namespace: server.namespace,
    dataConverter: phasedDataConverter,
  });
  const taskQueue = server.settings.taskQueue;
  const worker = await createPhasedWorker({
    connection,
    namespace: server.namespace,
    taskQueue,
    activities: realActivities({ client, taskQueue, clusters: options.clusters }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    ...(options.version ? { version: options.version } : {}),
  });
  const running = worker.run();
  let stopping: Promise<void> | undefined;
  // The first worker of an installation makes its version current; later
  // builds wait for phased upgrade.
  const current = options.version
    ? await currentOrFirst(client, options.version, worker.options.identity).catch(
        async (err: unknown) => {
          worker.shutdown();
          await running.catch(() => undefined);
          throw err;
        },
      )
    : undefined;
  return {
    /** The deployment's current build id (a versioned worker only). */
    current,
    /** Drains the worker once (later calls wait for the same drain). */
    stop() {
      stopping ??= (async () => {
        worker.shutdown();
        await running;
        await closeTransports();
        await connection.close();
        await clientConnection.close();
      })();
      return stopping;
    },
  };
}
