// Runs once per test run: bundles the workflow code and starts one embedded
// Temporal dev server on free ports with its SQLite file in a temporary
// directory. Tests reach both through inject(); everything is removed at the end.
// Vitest runs a global setup once per project, so the projects share one
// instance through a process-wide singleton and the last one to finish
// stops the server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type TemporalServer } from '../../src/devserver.js';
import { bundleWorkflows } from '../../src/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    temporalAddress: string;
    temporalNamespace: string;
    temporalUiUrl: string;
    testTmpDir: string;
  }
}

interface Shared {
  tmp: string;
  bundlePath: string;
  server: TemporalServer;
  users: number;
}

const KEY = Symbol.for('phased.test.shared');
type WithShared = typeof globalThis & { [KEY]?: Promise<Shared> };

async function start(): Promise<Shared> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phased-test-'));
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  const [bundle, server] = await Promise.all([
    bundleWorkflows(),
    startDevServer({
      port: 0,
      uiPort: 0,
      dbFile: path.join(tmp, 'temporal.sqlite'),
      logFile: path.join(tmp, 'temporal-server.log'),
      env: { ...process.env, TEMPORAL_ADDRESS: '' },
    }),
  ]);
  await writeFile(bundlePath, bundle.code);
  return { tmp, bundlePath, server, users: 0 };
}

export default async function setup(project: TestProject) {
  const g = globalThis as WithShared;
  g[KEY] ??= start();
  const shared = await g[KEY];
  shared.users++;
  project.provide('workflowBundlePath', shared.bundlePath);
  project.provide('temporalAddress', shared.server.address);
  project.provide('temporalNamespace', shared.server.namespace);
  project.provide('temporalUiUrl', shared.server.uiUrl ?? '');
  project.provide('testTmpDir', shared.tmp);
  return async () => {
    if (--shared.users > 0) return;
    delete g[KEY];
    await shared.server.stop();
    await rm(shared.tmp, { recursive: true, force: true });
  };
}
