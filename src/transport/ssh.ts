// The SSH transport: remote commands through ssh2 over a per-host connection
// pool (one connection per host, reused by every activity of the worker,
// with keepalives and deadlines), and staging through the system rsync over
// OpenSSH with connection multiplexing (AES-GCM first where the CPU has AES
// instructions). Host keys are verified against a
// known_hosts file; accepting unknown keys is an explicit option that warns.
// Keys are read here, in the worker, from a path or the agent: they never
// travel through workflow inputs.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { socketDir } from './socket-dir.js';
import { BoundedPool } from './bounded-pool.js';
import os from 'node:os';
import path from 'node:path';
import ssh2, { type ClientChannel } from 'ssh2';
import { isSafeAddress, isSafeSegment, SEGMENT_RULE } from '../config/validate-names.js';
import { PhasedError, describeCause } from '../errors.js';
import { keysFor, knownHostsName, readKnownHosts, type KnownKey } from './known-hosts.js';
import { ProcessChannel, type RemoteProcess } from './process.js';
import {
  copyDeadlineMs,
  DEFAULT_STALL_SECONDS,
  syncStats,
  rsyncArgs,
  rsyncFailure,
  type RsyncExit,
} from './rsync.js';
import { relayAvailable, RsyncRelay } from './rsync-relay.js';
import { settledWithin } from '../poll.js';
import { shellLine } from './shell-quote.js';
import type { ExecOptions, ExecResult, HostTransport, SyncOptions, SyncResult } from './types.js';
import type { Host, SshSpec } from '../core/vocabulary.js';

/** The cluster's SSH spec, plus what the worker decides (timeouts, where warnings go). */
export interface SshOptions extends Omit<SshSpec, 'kind'> {
  connectTimeoutMs?: number;
  keepaliveMs?: number;
  warn?: (message: string) => void;
  /**
   * What carries rsync: the host's pooled connection (through the relay, the
   * default where the worker has Perl) or its own OpenSSH connection (also
   * chosen by PHASED_RSYNC_OVER=openssh in the worker's environment).
   */
  rsyncOver?: 'pool' | 'openssh';
  /**
   * SSH connections this transport holds open at once (ssh2 connections and
   * rsync's OpenSSH masters, each): beyond it the least recently used idle
   * one is closed first, or a host's step waits for one to be released.
   * Default: PHASED_MAX_SSH_CONNECTIONS in the worker's environment, else 256.
   */
  maxConnections?: number;
  /** Seconds a copy may move no data before rsync gives up on it (default DEFAULT_STALL_SECONDS). */
  stallSeconds?: number;
}

/** Connections a transport holds at once unless told otherwise: well inside a default 1,024 descriptors. */
export const DEFAULT_MAX_SSH_CONNECTIONS = 256;

function maxConnectionsOf(options: SshOptions): number {
  if (options.maxConnections !== undefined) return options.maxConnections;
  const env = process.env.PHASED_MAX_SSH_CONNECTIONS;
  const n = env === undefined ? NaN : Number(env);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_MAX_SSH_CONNECTIONS;
}

type Conn = InstanceType<typeof ssh2.Client>;

/** Runs the local rsync client; a deadline (default: copyDeadlineMs of nothing) kills it. */
function runRsync(
  args: string[],
  timeoutMs = copyDeadlineMs(0),
): Promise<Omit<ExecResult, 'code'> & { code: RsyncExit }> {
  return new Promise((resolve) =>
    execFile(
      'rsync',
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) =>
        resolve({
          stdout,
          stderr,
          // A string code is rsync not starting at all (EMFILE, EAGAIN), not a deadline.
          code: !err
            ? 0
            : typeof err.code === 'number'
              ? err.code
              : typeof err.code === 'string'
                ? (`could not start rsync: ${err.message}` as const)
                : null,
        }),
    ),
  );
}

/**
 * rsync's ciphers when the worker's CPU has AES instructions: AES-GCM first.
 * OpenSSH prefers ChaCha20-Poly1305, which costs twice the CPU per byte on
 * both ends here (a 500 MB copy: 2.3 CPU-seconds against 1.2), and a first
 * copy is mostly bytes. The others stay listed, in OpenSSH's order, for
 * hosts that refuse GCM; the host's sshd still chooses among them.
 */
export const AES_FIRST = cpuHasAes()
  ? 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr'
  : undefined;

function cpuHasAes(): boolean {
  try {
    // x86 lists "aes" among its flags, arm64 among its features.
    return /^(flags|Features)\s*:.*\baes\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false; // not Linux: OpenSSH's own order
  }
}

export class SshTransport implements HostTransport {
  /** One ssh2 connection per host, at most maxConnections of them at once. */
  private readonly pool: BoundedPool<Conn>;
  private readonly hostsByKey = new Map<string, Host>();
  /** Control masters' and the relay's sockets: a short path, whatever TMPDIR is. */
  private readonly controlDir = socketDir();
  /** Hosts rsync has reached, each with an OpenSSH master connection to close at the end. */
  private readonly masters = new Map<string, Host>();
  /** Copies running over each master now: a master in use is never ended early. */
  private readonly mastersInUse = new Map<string, number>();
  private readonly user: string;
  private readonly knownHostsFile: string;
  private readonly relay: RsyncRelay | undefined;

  constructor(private readonly options: SshOptions) {
    this.user = options.user ?? os.userInfo().username;
    this.knownHostsFile = options.knownHostsFile ?? path.join(os.homedir(), '.ssh', 'known_hosts');
    const over =
      options.rsyncOver ?? (process.env.PHASED_RSYNC_OVER === 'openssh' ? 'openssh' : 'pool');
    this.relay = over === 'pool' && relayAvailable() ? new RsyncRelay(this.controlDir) : undefined;
    this.pool = new BoundedPool<Conn>(
      maxConnectionsOf(options),
      (key) => this.connect(this.hostsByKey.get(key)!),
      (conn) => conn.end(),
    );
  }

  get maxConnections(): number {
    return this.pool.max;
  }

  /** Connections open now, the most at once, and how often the bound closed or held back one. */
  connectionStats() {
    return { ...this.pool.stats(), rsyncMasters: this.masters.size };
  }

  /** What carries this transport's rsync copies (but for whole trees, which go over OpenSSH). */
  get rsyncOver(): 'pool' | 'openssh' {
    return this.relay ? 'pool' : 'openssh';
  }

  async exec(host: Host, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stream = await this.channel(host, argv);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        stream.close();
        resolve({ stdout, stderr: `${stderr}\n(timed out after ${timeoutMs} ms)`, code: null });
      }, timeoutMs);
      stream.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      stream.on('close', (code: number | null) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code: typeof code === 'number' ? code : null });
      });
    });
  }

  async start(host: Host, argv: readonly string[]): Promise<RemoteProcess> {
    const stream = await this.channel(host, argv);
    const channel = new ProcessChannel(
      (data) => stream.write(data),
      () => stream.end(),
    );
    stream.on('data', (d: Buffer) => channel.onStdout(d.toString('utf8')));
    stream.stderr.on('data', (d: Buffer) => channel.onStderr(d.toString('utf8')));
    stream.on('close', (code: number | null) =>
      channel.onExit(typeof code === 'number' ? code : null),
    );
    return channel;
  }

  /** Opens an exec channel for `argv` (quoted) on the pooled connection. */
  private channel(host: Host, argv: readonly string[]): Promise<ClientChannel> {
    return this.channelFor(host, shellLine(argv));
  }

  /**
   * Opens an exec channel for a command line the remote shell splits; the
   * host's connection stays leased until the channel closes.
   */
  private async channelFor(host: Host, command: string, retried = false): Promise<ClientChannel> {
    const { conn, release } = await this.lease(host);
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        // Throws "Not connected" at once on a connection the host closed
        // before its close event reached the pool.
        conn.exec(command, (err, stream) => {
          if (err) reject(err);
          else {
            stream.once('close', release);
            resolve(stream);
          }
        });
      });
    } catch (err) {
      release();
      this.pool.drop(this.key(host), conn);
      // A pooled connection the host dropped (sshd restarted, a session
      // killed) says nothing about the host now: one fresh connection decides.
      if (!retried) return this.channelFor(host, command, true);
      throw this.unreachable(host, err);
    }
  }

  async sync(host: Host, given: SyncOptions): Promise<SyncResult> {
    const options = {
      ...given,
      stallSeconds: given.stallSeconds ?? this.options.stallSeconds ?? DEFAULT_STALL_SECONDS,
    };
    // The lease verifies the host key with our own checks first, and holds the
    // host's connection (one of maxConnections) for the whole copy.
    const { release } = await this.lease(host);
    try {
      // A whole tree is bytes, and the pool's one Node thread would encrypt every
      // host's: its own OpenSSH process per host spreads them over the CPUs
      // (a first copy of 20 hosts here: 0.88x the plain script against 1.13x).
      // Anything with a basis is mostly file lists and links: the pool saves the login.
      return await (this.relay && !options.wholeTree
        ? this.syncOverPool(host, options, this.relay)
        : this.syncOverOpenSsh(host, options));
    } finally {
      release();
    }
  }

  /** rsync through the relay: its server command runs in a channel of the host's pooled connection. */
  private async syncOverPool(
    host: Host,
    options: SyncOptions,
    relay: RsyncRelay,
  ): Promise<SyncResult> {
    const { token, outcome, cancel } = await relay.expect((command) =>
      this.channelFor(host, command),
    );
    const result = await runRsync(
      rsyncArgs({ ...options, dest: `${token}:${options.dest}`, remoteShell: relay.remoteShell }),
      options.timeoutMs,
    );
    cancel(); // settles the outcome when rsync ended before it reached the relay
    // The channel closes as rsync ends; its exit and stderr are the host's side of a failure.
    const remote = await settledWithin(outcome, 5_000, { code: null, stderr: '' });
    if (result.code === 0) return syncStats(result.stdout);
    if (remote.channelError) throw this.unreachable(host, remote.channelError);
    throw rsyncFailure(
      host.name,
      options.dest,
      result.code,
      [
        remote.lost ? 'the SSH connection to the host was lost during the copy' : '',
        remote.stderr,
        result.stderr,
      ]
        .filter(Boolean)
        .join('\n'),
      options.stallSeconds,
    );
  }

  /** rsync over its own OpenSSH connection, multiplexed so later copies skip the login. */
  private async syncOverOpenSsh(host: Host, options: SyncOptions): Promise<SyncResult> {
    const sshCommand = [
      'ssh',
      '-p',
      String(this.port(host)),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${this.knownHostsFile}`,
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${this.controlDir}/%C`,
      '-o',
      'ControlPersist=60',
      '-o',
      `ConnectTimeout=${Math.ceil((this.options.connectTimeoutMs ?? 10_000) / 1000)}`,
      '-o',
      'ServerAliveInterval=15',
      ...(AES_FIRST ? ['-o', `Ciphers=${AES_FIRST}`] : []),
      ...(this.options.identityFile
        ? ['-i', this.options.identityFile, '-o', 'IdentitiesOnly=yes']
        : []),
    ].join(' ');
    const key = this.key(host);
    // Most recently used last: the masters to end first are at the front.
    this.masters.delete(key);
    this.masters.set(key, host);
    this.mastersInUse.set(key, (this.mastersInUse.get(key) ?? 0) + 1);
    const args = rsyncArgs({
      ...options,
      dest: `${this.user}@${host.address}:${options.dest}`,
      remoteShell: sshCommand,
    });
    try {
      const result = await runRsync(args, options.timeoutMs);
      if (result.code !== 0)
        throw rsyncFailure(
          host.name,
          options.dest,
          result.code,
          result.stderr,
          options.stallSeconds,
        );
      return syncStats(result.stdout);
    } finally {
      const left = (this.mastersInUse.get(key) ?? 1) - 1;
      if (left > 0) this.mastersInUse.set(key, left);
      else this.mastersInUse.delete(key);
      await this.trimRsyncMasters();
    }
  }

  /**
   * Each OpenSSH master is a process and a connection that outlives its rsync
   * by ControlPersist: past maxConnections of them, the least recently used
   * idle ones are ended now.
   */
  private async trimRsyncMasters(): Promise<void> {
    const excess = this.masters.size - this.pool.max;
    if (excess <= 0) return;
    const idle = [...this.masters].filter(([key]) => !this.mastersInUse.has(key)).slice(0, excess);
    for (const [key] of idle) this.masters.delete(key);
    await this.endMasters(idle.map(([, host]) => host));
  }

  /** Closes every pooled connection (worker shutdown). */
  async close(): Promise<void> {
    await this.relay?.close();
    await this.pool.closeAll();
    await this.closeRsyncMasters();
    rmSync(this.controlDir, { recursive: true, force: true });
  }

  /**
   * Ends rsync's OpenSSH master connections (rsyncOver: openssh). They
   * outlive rsync by ControlPersist and hold its output pipes: without this a
   * finished worker would linger until they time out.
   */
  async closeRsyncMasters(): Promise<void> {
    const masters = [...this.masters.values()];
    this.masters.clear();
    await this.endMasters(masters);
  }

  private async endMasters(masters: readonly Host[]): Promise<void> {
    await Promise.all(
      masters.map(
        (host) =>
          new Promise<void>((resolve) =>
            execFile(
              'ssh',
              [
                '-o',
                `ControlPath=${this.controlDir}/%C`,
                '-O',
                'exit',
                '-p',
                String(this.port(host)),
                `${this.user}@${host.address}`,
              ],
              { timeout: 5_000 },
              () => resolve(),
            ),
          ),
      ),
    );
  }

  private port(host: Host): number {
    return host.port ?? this.options.port;
  }

  private key(host: Host) {
    return `${this.user}@${host.address}:${this.port(host)}`;
  }

  /** The host's pooled connection, held until released. */
  private lease(host: Host) {
    this.assertSafe(host);
    const key = this.key(host);
    this.hostsByKey.set(key, host);
    return this.pool.acquire(key);
  }

  private connect(host: Host): Promise<Conn> {
    const name = knownHostsName(host.address, this.port(host));
    let refusal: PhasedError | undefined;
    const verify = (blob: Buffer): boolean => {
      let known: KnownKey[];
      try {
        known = keysFor(readKnownHosts(this.knownHostsFile), name);
      } catch (cause) {
        known = [];
        if (!this.options.acceptUnknownHostKeys) {
          refusal = new PhasedError({
            code: 'HOST_UNREACHABLE',
            problem: `${host.name}: cannot read known_hosts file ${this.knownHostsFile}: ${describeCause(cause)}`,
            fix: "point ssh.knownHostsFile at a known_hosts file with the fleet's host keys",
          });
          return false;
        }
      }
      const offered = blob.toString('base64');
      if (known.some((k) => k.key === offered)) return true;
      if (known.length > 0) {
        refusal = new PhasedError({
          code: 'HOST_UNREACHABLE',
          problem: `${host.name}: the host key of ${name} CHANGED: it does not match ${this.knownHostsFile} (someone may be intercepting the connection, or the host was reinstalled)`,
          fix: `verify the new key out of band, then replace the entry for ${name} in ${this.knownHostsFile}`,
        });
        return false;
      }
      if (this.options.acceptUnknownHostKeys) {
        (this.options.warn ?? console.warn)(
          `phased: warning: accepting the unknown host key of ${name} (ssh.acceptUnknownHostKeys is on)`,
        );
        return true;
      }
      refusal = new PhasedError({
        code: 'HOST_UNREACHABLE',
        problem: `${host.name}: the host key of ${name} is not in ${this.knownHostsFile}`,
        fix: `add it (ssh-keyscan -p ${this.port(host)} ${host.address} >> ${this.knownHostsFile}, after checking it), or set ssh.acceptUnknownHostKeys`,
      });
      return false;
    };
    return new Promise((resolve, reject) => {
      const conn = new ssh2.Client();
      conn.once('ready', () => resolve(conn));
      conn.once('error', (err) => reject(refusal ?? this.unreachable(host, err)));
      conn.on('close', () => this.pool.drop(this.key(host), conn));
      conn.on('error', () => this.pool.drop(this.key(host), conn));
      try {
        conn.connect({
          host: host.address,
          port: this.port(host),
          username: this.user,
          ...(this.options.identityFile
            ? { privateKey: readFileSync(this.options.identityFile) }
            : { agent: process.env.SSH_AUTH_SOCK }),
          readyTimeout: this.options.connectTimeoutMs ?? 10_000,
          keepaliveInterval: this.options.keepaliveMs ?? 15_000,
          keepaliveCountMax: 3,
          hostVerifier: verify,
        });
      } catch (err) {
        reject(this.unreachable(host, err));
      }
    });
  }

  /**
   * Config validation already refuses these; the transport checks again
   * because an address or user reaches ssh's and rsync's command lines,
   * where "-oProxyCommand=..." would be an option, not a host.
   */
  private assertSafe(host: Host) {
    if (!isSafeAddress(host.address))
      throw new PhasedError({
        code: 'CONFIG_INVALID',
        problem: `${JSON.stringify(host.name)}: address ${JSON.stringify(host.address)} is not a host name or IP address`,
        fix: 'use a DNS name or an IP address (letters, digits, ".", "-", ":"; not starting with "-")',
      });
    if (!isSafeSegment(this.user))
      throw new PhasedError({
        code: 'CONFIG_INVALID',
        problem: `ssh user ${JSON.stringify(this.user)} is not a safe user name`,
        fix: `set ssh.user to a plain user name (${SEGMENT_RULE})`,
      });
  }

  private unreachable(host: Host, cause: unknown): PhasedError {
    return new PhasedError({
      code: 'HOST_UNREACHABLE',
      problem: `${host.name}: cannot reach ${this.user}@${host.address}:${this.port(host)} over SSH: ${describeCause(cause)}`,
      fix: 'check that sshd runs on the host and that the deploy key is authorized; phased retries with backoff',
      retryable: true,
      cause,
    });
  }
}
