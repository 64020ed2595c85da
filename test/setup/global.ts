// Runs once per test run: bundles the workflow code and starts one embedded
// Temporal dev server on free ports with its SQLite file in a temporary
// directory, and one Prometheus that scrapes whatever targets tests put in
// its targets directory (test/helpers/prometheus.ts). Tests reach them
// through inject(); everything is stopped and removed at the end.
// Vitest runs a global setup once per project, so the projects share one
// instance through a process-wide singleton and the last one to finish
// stops the server.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPrometheus, type PrometheusServer } from '../../src/app/demo/prometheus.js';
import { startDevServer, type TemporalServer } from '../../src/app/devserver.js';
import { bundleWorkflows } from '../../src/app/worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    temporalAddress: string;
    temporalNamespace: string;
    temporalUiUrl: string;
    testTmpDir: string;
    prometheusUrl: string;
    prometheusTargetsDir: string;
  }
}

interface Shared {
  tmp: string;
  bundlePath: string;
  server: TemporalServer;
  prometheus: PrometheusServer;
  targetsDir: string;
  users: number;
}

const KEY = Symbol.for('phased.test.shared');
type WithShared = typeof globalThis & { [KEY]?: Promise<Shared> };

async function start(): Promise<Shared> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'phased-test-'));
  const bundlePath = path.join(tmp, 'workflow-bundle.js');
  const targetsDir = path.join(tmp, 'prometheus-targets');
  await mkdir(targetsDir);
  const [bundle, server, prometheus] = await Promise.all([
    bundleWorkflows(),
    startDevServer({
      port: 0,
      uiPort: 0,
      dbFile: path.join(tmp, 'temporal.sqlite'),
      logFile: path.join(tmp, 'temporal-server.log'),
      env: { ...process.env, TEMPORAL_ADDRESS: '' },
      // A worker version with nothing left running reads as drained within
      // seconds, not the server's default minutes (the versioning test).
      dynamicConfig: {
        'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '2s',
      },
    }),
    // Twice a second: tests' readings are a few seconds apart.
    startPrometheus({ dir: path.join(tmp, 'prometheus'), scrapeInterval: '500ms', targetsDir }),
  ]);
  await writeFile(bundlePath, bundle.code);
  return { tmp, bundlePath, server, prometheus, targetsDir, users: 0 };
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
  project.provide('prometheusUrl', shared.prometheus.url);
  project.provide('prometheusTargetsDir', shared.targetsDir);
  return async () => {
    if (--shared.users > 0) return;
    delete g[KEY];
    await Promise.all([shared.server.stop(), shared.prometheus.stop()]);
    await rm(shared.tmp, { recursive: true, force: true });
  };
}
