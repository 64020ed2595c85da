// A fleet of real OpenSSH servers on loopback addresses (127.0.0.x), each
// with its own host key, port and deploy root, one client key authorized on
// all, and a known_hosts file. Everything it starts it stops. The demo, the
// SSH tests and the fleet benchmark all run on it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../temporal/ports.js';
import type { SshOptions } from '../../transport/ssh.js';
import { eventually } from '../../poll.js';

export interface SshdHost {
  name: string;
  address: string;
  port: number;
  root: string;
  hostKeyPub: string;
  /** More addresses this sshd listens on, on the same port (SshdFleetOptions.aliases). */
  aliases: string[];
  /** What this sshd has written to its stderr since it last started (its log). */
  log(): string;
  /** Down as a host that died is: the listener and every open session end. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface SshdFleet {
  dir: string;
  hosts: SshdHost[];
  clientKey: string;
  knownHosts: string;
  transportOptions(host: SshdHost): SshOptions;
  stopAll(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

/** Whether Debian's openssh-server (and the client tools it needs) is installed. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');
}

/**
 * Makes sure a system user `name` exists that the fleet's sshd lets in
 * (shell /bin/sh, which reads no rc files). Needs root. Returns true when it
 * created the user, so the caller can remove it (userdel) when done.
 */
export function ensureLoginUser(name: string): boolean {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
    return false;
  } catch {
    // Password "*": no password login, but not locked (sshd refuses locked accounts).
    execFileSync('useradd', [
      '--system',
      '--no-create-home',
      '--shell',
      '/bin/sh',
      '--password',
      '*',
      name,
    ]);
    return true;
  }
}

/** Pids of the live (non-zombie) processes owned by `uid`, from /proc. */
function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const owner = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (Number(owner) === uid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Every process below `root` (for an sshd: its sessions and what they run). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: read past its last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

/**
 * Removes a throwaway login user made by ensureLoginUser. userdel refuses
 * while a process of the user lives, and an sshd session can outlive the
 * client's close by a moment, so: close the user's connections first (the
 * caller), then end what is left of the user's sessions (every process of
 * a throwaway user is one the test started) and wait until none is left.
 */
export async function removeLoginUser(name: string): Promise<void> {
  let uid: number;
  try {
    uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  } catch {
    return; // already gone
  }
  if (!Number.isInteger(uid) || uid === 0) throw new Error(`refusing to remove user ${name}`);
  await eventually(
    () => {
      const left = processesOf(uid);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Gone already.
        }
      }
      return Promise.resolve(left.length === 0);
    },
    { what: `the processes of ${name} to end`, timeoutMs: 15_000, intervalMs: 100 },
  );
  execFileSync('userdel', [name]);
}

function keygen(file: string) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
}

export function portOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface SshdFleetOptions {
  /** sshd_config lines for host i (0-based), ahead of the fleet's own (sshd takes a keyword's first value). */
  config?: (i: number) => string[];
  /**
   * More addresses each sshd listens on, 127.1.<its octet>.1 and up: many
   * hosts to a worker (each address its own connection) for few processes.
   * At most 15 (sshd's MAX_LISTEN_SOCKS is 16).
   */
  aliases?: number;
  /**
   * Where host i's sshd runs, when not on 127.0.0.x: its address, port and
   * the command that starts it (e.g. `ip netns exec <ns>`, which execs sshd
   * in place, so the process is sshd itself).
   */
  placement?: (i: number) => { address: string; port: number; wrap: string[] };
}

export async function startSshdFleet(
  n: number,
  firstOctet = 10,
  options: SshdFleetOptions = {},
): Promise<SshdFleet> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-sshd-'));
  // Other deploy users (the permission test's) must reach the deploy roots
  // and the authorized keys, which sshd reads with the user's privileges.
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true }); // privilege separation dir
  const clientKey = path.join(dir, 'client_key');
  keygen(clientKey);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), {
    mode: 0o644,
  });
  const knownHosts = path.join(dir, 'known_hosts');
  const hosts: SshdHost[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `ssh-${i + 1}`;
    const placed = options.placement?.(i);
    const address = placed?.address ?? `127.0.0.${firstOctet + i}`;
    const port = placed?.port ?? (await freePort(address));
    const aliases = Array.from(
      { length: options.aliases ?? 0 },
      (_, k) => `127.1.${firstOctet + i}.${k + 1}`,
    );
    const hdir = path.join(dir, name);
    mkdirSync(path.join(hdir, 'root'), { recursive: true });
    keygen(path.join(hdir, 'host_key'));
    const config = path.join(hdir, 'sshd_config');
    writeFileSync(
      config,
      [
        ...(options.config?.(i) ?? []),
        `ListenAddress ${address}:${port}`,
        ...aliases.map((a) => `ListenAddress ${a}:${port}`),
        `HostKey ${hdir}/host_key`,
        `AuthorizedKeysFile ${dir}/authorized_keys`,
        `PidFile ${hdir}/sshd.pid`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'MaxStartups 100:30:200',
        'MaxSessions 100',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const hostKeyPub = readFileSync(path.join(hdir, 'host_key.pub'), 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    // known_hosts names a host on port 22 by its address alone.
    for (const a of [address, ...aliases])
      lines.push(`${port === 22 ? a : `[${a}]:${port}`} ${hostKeyPub}`);
    let child: ChildProcess | undefined;
    let stderr = '';
    const host: SshdHost = {
      name,
      address,
      port,
      root: path.join(hdir, 'root'),
      hostKeyPub,
      aliases,
      log: () => stderr,
      async start() {
        const [command, ...args] = [...(placed?.wrap ?? []), SSHD, '-D', '-e', '-f', config];
        child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        stderr = '';
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        const proc = child;
        await eventually(
          async () => {
            if (proc.exitCode !== null) throw new Error(`sshd for ${name} exited: ${stderr}`);
            return portOpen(address, port);
          },
          { what: `sshd on ${address}:${port}`, timeoutMs: 15_000 },
        );
      },
      async stop() {
        const proc = child;
        child = undefined;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        // Ending the listener alone leaves open sessions serving: a worker's
        // pooled connection would still reach a host said to be down. So the
        // listener is held still (no new session) while its sessions are
        // listed, then it and they are ended.
        const pid = proc.pid!;
        proc.kill('SIGSTOP');
        const sessions = descendantsOf(pid);
        proc.kill('SIGTERM');
        proc.kill('SIGCONT');
        for (const s of sessions) signal(s, 'SIGTERM');
        await exited;
        await eventually(() => Promise.resolve(!sessions.some(alive)), {
          what: `the sessions of sshd ${name} to end`,
          timeoutMs: 15_000,
          intervalMs: 50,
        });
      },
    };
    hosts.push(host);
  }
  writeFileSync(knownHosts, lines.join('\n') + '\n');
  await Promise.all(hosts.map((h) => h.start()));
  return {
    dir,
    hosts,
    clientKey,
    knownHosts,
    transportOptions: (h) => ({
      user: os.userInfo().username,
      port: h.port,
      identityFile: clientKey,
      knownHostsFile: knownHosts,
      acceptUnknownHostKeys: false,
      connectTimeoutMs: 5000,
    }),
    async stopAll() {
      await Promise.all(hosts.map((h) => h.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
