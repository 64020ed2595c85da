// The composition root: the only place where real dependencies are created
// and handed to the activities, and where the worker is assembled.
import { existsSync } from 'node:fs';
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
import { createActivities, type Activities, type ActivityDeps } from '../activities/index.js';

/** The workflows entry point: TypeScript source in a checkout, compiled JS in dist/. */
export function workflowsPath(): string {
  for (const ext of ['.ts', '.js']) {
    const candidate = fileURLToPath(new URL(`../workflows/index${ext}`, import.meta.url));
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

/** Keeps the SDK's own logging at PHASED_LOG_LEVEL (default WARN); call once, first. */
export function installRuntime(level = (process.env.PHASED_LOG_LEVEL ?? 'WARN') as LogLevel) {
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed in this process (e.g. a test file reusing a fork): keep it.
  }
}

export function workerIdentity(): string {
  return `phased@${os.hostname()}:${process.pid}`;
}

/** The real dependencies of every activity. */
export function realActivityDeps(identity = workerIdentity()): ActivityDeps {
  return {
    preflight: {
      hostname: () => os.hostname(),
      pid: process.pid,
      nodeVersion: process.version,
      identity,
    },
  };
}

export interface PhasedWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle; without one the worker bundles workflows/ itself. */
  workflowBundle?: WorkflowBundleOption;
  /** Activities to register; defaults to the real ones. Workflow tests pass fakes. */
  activities?: Activities;
  identity?: string;
}

export async function createPhasedWorker(options: PhasedWorkerOptions): Promise<Worker> {
  const identity = options.identity ?? workerIdentity();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: workflowsPath() }),
    activities: options.activities ?? createActivities(realActivityDeps(identity)),
  });
}
