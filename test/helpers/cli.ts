// Runs the `phased` command as a user would (through tsx, from source) and
// returns its exit code and output. The child is killed if it outlives the test.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { eventually } from '../../src/poll.js';
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

export interface RunningPhased {
  pid: number;
  output(): string;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<CliResult>;
}

/** Starts `phased` and returns while it runs; it is killed if it outlives the test. */
export function startPhased(args: string[], env: NodeJS.ProcessEnv): RunningPhased {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'src/cli.ts'), ...args],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<CliResult>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    pid: child.pid!,
    output: () => stdout,
    waitFor: (text, timeoutMs) =>
      eventually(() => Promise.resolve(stdout.includes(text)), {
        what: `"${text}" from phased (stdout so far: ${stdout.slice(-300)}; stderr: ${stderr.slice(-300)})`,
        timeoutMs,
        intervalMs: 200,
      }).then(() => undefined),
    signal: (sig) => child.kill(sig),
    exited,
  };
}
