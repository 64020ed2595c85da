// What every command of the CLI shares: who the operator is, where a cluster's
// file is, a client for one command, argument parsers and how output is printed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { createPhasedClient, type PhasedClient } from '../client.js';
import { parseDuration } from '../../config/duration.js';
import { loadClusterConfig } from '../../config/load.js';
import { assertDecidable } from '../../config/look-schedule.js';
import { existingServer, type TemporalServer } from '../devserver.js';
import { PhasedError } from '../../errors.js';
import { projectRoot } from '../../paths.js';
import { connectClient, ensureSearchAttributes } from '../temporal/connect.js';
import { operatorIdentity } from './identity.js';

export function operatorName(flag: string | undefined): string {
  return operatorIdentity(flag).operator;
}

export function configPath(cluster: string, flag: string | undefined): string {
  return flag ?? path.join(process.env.PHASED_CONFIG_DIR ?? 'clusters', `${cluster}.yaml`);
}

/** A cluster's file, loaded and planned: refused when its looks could never decide. */
export function loadConfigFor(cluster: string, flag: string | undefined) {
  const config = loadClusterConfig(configPath(cluster, flag));
  assertDecidable(config, configPath(cluster, flag));
  if (config.cluster !== cluster)
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${configPath(cluster, flag)} describes cluster ${config.cluster}, not ${cluster}`,
      fix: `pass --config with the file of cluster ${cluster}`,
    });
  return config;
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

/** A fresh cluster learns phased's search attributes from its first worker. */
export async function registerSearchAttributes(server: TemporalServer) {
  const connection = await connectClient({
    address: server.address,
    settings: server.settings,
    fromEnv: !server.embedded,
  });
  try {
    await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
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
