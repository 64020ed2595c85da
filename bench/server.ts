// What the benchmarks that run deploys share: a scratch directory, the
// workflow bundle built in a child process (as a build step would, so a
// measured worker never runs webpack), and an embedded server in memory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../src/app/devserver.js';
import { projectRoot } from '../src/paths.js';

export async function benchServer(name: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `phased-${name}-`));
  const bundlePath = path.join(dir, 'workflows.js');
  execFileSync(process.execPath, [
    '--import',
    'tsx',
    path.join(projectRoot, 'bench/scale/bundle.ts'),
    bundlePath,
  ]);
  const server = await startDevServer({
    port: 0,
    uiPort: null,
    dbFile: null,
    logFile: path.join(dir, 'server.log'),
    env: { ...process.env, TEMPORAL_ADDRESS: '' },
  });
  return { dir, bundlePath, server };
}
