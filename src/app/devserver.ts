// The embedded Temporal server: `temporal server start-dev` with SQLite
// persistence under the project's data directory, the Temporal UI on its own
// port, and phased's search attributes registered. If TEMPORAL_ADDRESS is set,
// that server is used instead and nothing is started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PhasedError, describeCause, isPhasedError } from '../errors.js';
import { dataDir } from '../paths.js';
import { temporalBinary } from './temporal/binaries.js';
import { connectClient, ensureSearchAttributes } from './temporal/connect.js';
import { freePort, isPortFree } from './temporal/ports.js';
import { temporalSettings, type TemporalSettings } from './temporal/settings.js';
import { phasedSearchAttributes } from '../../workflows/search-attributes.js';

export const DEFAULT_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

export interface DevServerOptions {
  ip?: string;
  /** gRPC port; 0 picks a free one. Default 7233 (or PHASED_TEMPORAL_PORT). */
  port?: number;
  /** Web UI port; 0 picks a free one, null runs without the UI. Default 8233. */
  uiPort?: number | null;
  /** SQLite file; null keeps state in memory. Default <data dir>/temporal.sqlite. */
  dbFile?: string | null;
  /** Where the server's own output goes. Default <data dir>/temporal-server.log. */
  logFile?: string;
  namespace?: string;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Dynamic config values (`--dynamic-config-value key=<JSON>`), for tests that need a knob turned. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface TemporalServer {
  address: string;
  namespace: string;
  /** The Temporal UI, when this process started it with one. */
  uiUrl: string | undefined;
  /** False when TEMPORAL_ADDRESS pointed at a server we do not own. */
  embedded: boolean;
  settings: TemporalSettings;
  stop(): Promise<void>;
}

/** Uses TEMPORAL_ADDRESS when set, otherwise starts the embedded server. */
export async function startOrConnect(options: DevServerOptions = {}): Promise<TemporalServer> {
  const env = options.env ?? process.env;
  const settings = temporalSettings(env);
  if (!settings.address) return startDevServer(options);
  const connection = await connectClient({ address: settings.address, settings, fromEnv: true });
  try {
    await ensureSearchAttributes(connection, settings.namespace);
  } finally {
    await connection.close();
  }
  return {
    address: settings.address,
    namespace: settings.namespace,
    uiUrl: undefined,
    embedded: false,
    settings,
    stop: () => Promise.resolve(),
  };
}

/**
 * The server a long-running worker should join: TEMPORAL_ADDRESS, or the
 * embedded server that `phased server` runs on this machine. Starts nothing.
 */
export function existingServer(env: NodeJS.ProcessEnv = process.env): TemporalServer {
  const settings = temporalSettings(env);
  const port = envPort(env, 'PHASED_TEMPORAL_PORT') ?? DEFAULT_PORT;
  const address = settings.address ?? `127.0.0.1:${port}`;
  return {
    address,
    namespace: settings.namespace,
    uiUrl: undefined,
    embedded: settings.address === undefined,
    settings: { ...settings, address },
    stop: () => Promise.resolve(),
  };
}

/** Starts `temporal server start-dev` and resolves once it answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<TemporalServer> {
  const env = options.env ?? process.env;
  const ip = options.ip ?? '127.0.0.1';
  const requestedPort = options.port ?? envPort(env, 'PHASED_TEMPORAL_PORT') ?? DEFAULT_PORT;
  const requestedUi =
    options.uiPort === undefined
      ? (envPort(env, 'PHASED_TEMPORAL_UI_PORT') ?? DEFAULT_UI_PORT)
      : options.uiPort;
  // A port picked for us can be taken by someone else before the server binds
  // it; then we pick again. A port the user asked for is never swapped.
  const dynamic = requestedPort === 0 || requestedUi === 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce({
        ...options,
        env,
        ip,
        port: requestedPort || (await freePort(ip)),
        uiPort: requestedUi === 0 ? await freePort(ip) : requestedUi,
      });
    } catch (err) {
      if (!(dynamic && attempt < 5 && isPhasedError(err, 'TEMPORAL_PORT_IN_USE'))) throw err;
    }
  }
}

interface ResolvedOptions extends DevServerOptions {
  env: NodeJS.ProcessEnv;
  ip: string;
  port: number;
  uiPort: number | null;
}

async function startOnce(options: ResolvedOptions): Promise<TemporalServer> {
  const { env, ip, port, uiPort } = options;
  const namespace = options.namespace ?? temporalSettings(env).namespace;
  const binary = temporalBinary('temporal', env);
  const dir = dataDir(env);
  const dbFile = options.dbFile === undefined ? path.join(dir, 'temporal.sqlite') : options.dbFile;
  const logFile = options.logFile ?? path.join(dir, 'temporal-server.log');

  for (const [what, p] of [
    ['gRPC', port],
    ['UI', uiPort],
  ] as const) {
    if (p !== null && !(await isPortFree(ip, p))) throw portInUse(what, ip, p);
  }

  if (dbFile) mkdirSync(path.dirname(dbFile), { recursive: true });
  mkdirSync(path.dirname(logFile), { recursive: true });

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  args.push(...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]));
  args.push('--ui-disable-news-fetch');
  if (dbFile) args.push('--db-filename', dbFile);
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const key of phasedSearchAttributes) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const output = captureOutput(child, logFile);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const address = `${ip}:${port}`;
  const stop = () => stopProcess(child, exited);
  try {
    await waitUntilReady({
      address,
      namespace,
      exited,
      output,
      timeoutMs: options.readyTimeoutMs ?? 30_000,
    });
  } catch (err) {
    await stop();
    // A port can be taken between our check and the server's bind.
    if (/address already in use/i.test(output.tail())) throw portInUse('gRPC or UI', ip, port);
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === null ? undefined : `http://${ip}:${uiPort}`,
    embedded: true,
    settings: { ...temporalSettings(env), address, namespace },
    stop,
  };
}

function envPort(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PhasedError({
      code: 'CONFIG_INVALID',
      problem: `${name}=${raw} is not a port number`,
      fix: `set ${name} to an integer from 1 to 65535 (0 picks a free port)`,
    });
  }
  return port;
}

function portInUse(what: string, ip: string, port: number): PhasedError {
  return new PhasedError({
    code: 'TEMPORAL_PORT_IN_USE',
    problem: `cannot start the embedded Temporal server: ${what} port ${ip}:${port} is already in use`,
    fix: `stop whatever listens there (another Temporal server? try: ss -ltnp 'sport = :${port}'), choose other ports with PHASED_TEMPORAL_PORT / PHASED_TEMPORAL_UI_PORT, or set TEMPORAL_ADDRESS to use a running server`,
  });
}

/** Tees the server's output into its log file and keeps the last lines for error messages. */
function captureOutput(child: ChildProcess, logFile: string) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => log.end());
  return { logFile, tail: () => lines.join('\n') };
}

interface ReadyWait {
  address: string;
  namespace: string;
  exited: Promise<number | null>;
  output: ReturnType<typeof captureOutput>;
  timeoutMs: number;
}

/** Polls the server (with a deadline) until the namespace answers. */
async function waitUntilReady({ address, namespace, exited, output, timeoutMs }: ReadyWait) {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new PhasedError({
        code: 'TEMPORAL_START_FAILED',
        problem: `the embedded Temporal server exited (code ${exitCode}) before it was ready:\n${indent(output.tail())}`,
        fix: `read ${output.logFile}; if the SQLite file is damaged, move it aside (PHASED_DATA_DIR picks another data directory)`,
      });
    }
    try {
      const connection = await connectClient({
        address,
        settings: { tls: undefined, apiKey: undefined },
      });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await delay(100);
    }
  }
  throw new PhasedError({
    code: 'TEMPORAL_START_FAILED',
    problem: `the embedded Temporal server did not answer on ${address} within ${timeoutMs} ms (${describeCause(lastError)})`,
    fix: `read ${output.logFile} for the server's own errors`,
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timedOut = Symbol('timeout');
  const ac = new AbortController();
  const result = await Promise.race([
    exited,
    delay(10_000, timedOut, { signal: ac.signal }).catch(() => undefined),
  ]);
  ac.abort();
  if (result === timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
