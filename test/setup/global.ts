// Runs once per test run: bundles the workflow code and starts one embedded
// Temporal dev server on free ports with its SQLite file in a temporary
// directory. Tests reach both through inject(); everything is removed at the end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../src/devserver.js';
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

export default async function setup(project: TestProject) {
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
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalUiUrl', server.uiUrl ?? '');
  project.provide('testTmpDir', tmp);
  return async () => {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  };
}
