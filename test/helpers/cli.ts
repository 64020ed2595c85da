// Runs the `phased` command as a user would (through tsx, from source) and
// returns its exit code and output. The child is killed if it outlives the test.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runPhased(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'src/cli.ts'), ...args],
      { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
