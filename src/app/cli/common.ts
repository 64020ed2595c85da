// What the CLI's commands share: who the operator is, a client for one
// command, signals, argument parsers and how output and errors are printed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { createPhasedClient, type PhasedClient } from '../client.js';
import { parseDuration } from '../../config/duration.js';
import { existingServer, type TemporalServer } from '../devserver.js';
import type { PhasedError } from '../../errors.js';
import { projectRoot } from '../../paths.js';
import { operatorIdentity } from './identity.js';

export function operatorName(flag: string | undefined): string {
  return operatorIdentity(flag).operator;
}

/** Resolves when the process receives Ctrl-C or SIGTERM. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function withClient<T>(fn: (pc: PhasedClient) => Promise<T>): Promise<T> {
  const pc = await createPhasedClient(existingServer());
  try {
    return await fn(pc);
  } finally {
    await pc.close();
  }
}

export function describeServer(server: TemporalServer): string {
  const where = server.embedded ? 'embedded Temporal dev server' : 'Temporal server';
  const ui = server.uiUrl ? `, UI at ${server.uiUrl}` : '';
  return `${where} at ${server.address} (namespace ${server.namespace}${ui})`;
}

/** How the CLI shows a PhasedError: its code, the problem (and a note), then the fix. */
export const errorText = (err: PhasedError, level: 'error' | 'warning', note = '') =>
  `phased: ${level} [${err.code}]: ${err.problem}${note}\n  fix: ${err.fix}`;

export const print = (json: boolean | undefined, data: unknown, text: string) =>
  console.log(json ? JSON.stringify(data) : text);

/** A duration on the command line ("90s", "1m30s", "20m"), or a usage error (exit 2). */
export function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError('expected a duration like 90s, 1m30s or 20m');
  return ms;
}

/** A count on the command line: a whole number from 1, or a usage error (exit 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export const { version } = JSON.parse(
  readFileSync(path.join(projectRoot, 'package.json'), 'utf8'),
) as {
  version: string;
};
