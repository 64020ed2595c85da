// Runs the `phased` command as a user would (through tsx, from source, or an
// installed package's executable):
// to completion (runPhased) or in the background (startPhased). The child is
// killed if it outlives its deadline or the test.
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

export interface RunningPhased {
  pid: number;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  /** What it has written to stderr so far. */
  stderr(): string;
  exited: Promise<CliResult>;
}

/** How to run phased: from source (default), or an installed `phased` executable. */
export interface PhasedCommand {
  bin?: string;
  cwd?: string;
}

/** Starts `phased` and returns while it runs. */
export function startPhased(
  args: string[],
  env: NodeJS.ProcessEnv,
  { bin, cwd = projectRoot }: PhasedCommand = {},
): RunningPhased {
  const [file, argv] = bin
    ? [bin, args]
    : [
        process.execPath,
        ['--import', 'tsx', path.join(projectRoot, 'src/app/cli/main.ts'), ...args],
      ];
  const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    pid: child.pid!,
    waitFor: (text, timeoutMs) =>
      eventually(
        () => {
          if (stdout.includes(text)) return Promise.resolve(true);
          throw new Error(`stdout ends: ${stdout.slice(-300)}; stderr ends: ${stderr.slice(-300)}`);
        },
        { what: `"${text}" from phased`, timeoutMs, intervalMs: 200 },
      ).then(() => undefined),
    signal: (sig) => child.kill(sig),
    stderr: () => stderr,
    exited,
  };
}

/** Runs `phased` to completion and returns its exit code and output. */
export async function runPhased(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  command: PhasedCommand = {},
): Promise<CliResult> {
  const run = startPhased(args, env, command);
  const timer = setTimeout(() => run.signal('SIGKILL'), timeoutMs);
  try {
    return await run.exited;
  } finally {
    clearTimeout(timer);
  }
}
