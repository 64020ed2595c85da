// rsync over the worker's pooled SSH connection. rsync starts its "remote
// shell" as a program with pipes; phased gives it a small relay that hands
// those pipes to the worker through a Unix socket, and the worker runs rsync's
// server command in an exec channel of the host's pooled ssh2 connection.
// One connection per host then carries every step of a deploy: no login per
// copy (an OpenSSH login cost 175 ms of CPU per host here, a pooled channel
// 4 ms), and a copy minutes after the last deploy costs no more than one a
// second after it.
//
// The relay is Perl without modules (Debian's perl-base is essential, so
// every Debian or Ubuntu worker has it; it starts in 3 ms of CPU, where Node
// takes over 100): a byte pipe with non-blocking I/O both ways, so neither
// direction can stall the other. Without Perl, or off Linux, the transport
// falls back to rsync over OpenSSH with connection multiplexing.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ClientChannel } from 'ssh2';

/**
 * argv: socket path, token, then rsync's remote command words. Sends
 * "<token> <command length>\n<command>", then copies stdin to the socket and
 * the socket to stdout until the worker closes it.
 */
const RELAY = String.raw`use strict; use warnings;
# Linux's generic constants, written out: loading Socket, Fcntl and POSIX
# would triple the relay's start-up time.
my ($AF_UNIX, $SOCK_STREAM, $F_GETFL, $F_SETFL, $O_NONBLOCK, $EAGAIN, $EINTR) =
  (1, 1, 3, 4, 2048, 11, 4);
$SIG{PIPE} = 'IGNORE';
my ($path, $token, @cmd) = @ARGV;
my $s;
socket($s, $AF_UNIX, $SOCK_STREAM, 0) && connect($s, pack('S Z*', $AF_UNIX, $path))
  or die "phased rsync relay: cannot reach the worker at $path: $!\n";
my $c = join(' ', @cmd);
my $tosock = "$token " . length($c) . "\n" . $c;
my $out = '';
for my $fh (\*STDIN, \*STDOUT, $s) {
  my $fl = fcntl($fh, $F_GETFL, 0) or die "phased rsync relay: fcntl: $!\n";
  fcntl($fh, $F_SETFL, $fl | $O_NONBLOCK) or die "phased rsync relay: fcntl: $!\n";
}
my ($in, $sock, $shut) = (1, 1, 0);
my $max = 1 << 20;
while ($sock || length $out) {
  if (!$in && !length $tosock && !$shut) { shutdown($s, 1); $shut = 1; }
  my ($r, $w) = ('', '');
  vec($r, fileno(STDIN), 1) = 1 if $in && length $tosock < $max;
  vec($r, fileno($s), 1) = 1 if $sock && length $out < $max;
  vec($w, fileno($s), 1) = 1 if length $tosock;
  vec($w, fileno(STDOUT), 1) = 1 if length $out;
  my $n = select(my $ro = $r, my $wo = $w, undef, undef);
  if ($n < 0) { next if $! + 0 == $EINTR; die "phased rsync relay: select: $!\n"; }
  if (vec($ro, fileno(STDIN), 1)) {
    my $k = sysread(STDIN, $tosock, 262144, length $tosock);
    $in = 0 if defined $k ? $k == 0 : $! + 0 != $EAGAIN;
  }
  if (vec($ro, fileno($s), 1)) {
    my $k = sysread($s, $out, 262144, length $out);
    if (defined $k) { $sock = 0 if $k == 0 } elsif ($! + 0 != $EAGAIN) { exit 1 }
  }
  if (vec($wo, fileno($s), 1)) {
    my $k = syswrite($s, $tosock);
    if (defined $k) { substr($tosock, 0, $k) = '' } elsif ($! + 0 != $EAGAIN) { exit 1 }
  }
  if (vec($wo, fileno(STDOUT), 1)) {
    my $k = syswrite(STDOUT, $out);
    if (defined $k) { substr($out, 0, $k) = '' } elsif ($! + 0 != $EAGAIN) { exit 1 }
  }
}
`;

/** How one relayed copy's remote side ended. */
export interface RelayOutcome {
  /** The remote command's exit code (null: no exit status, or it never ran). */
  code: number | null;
  /** What the remote command wrote to stderr. */
  stderr: string;
  /** Set when the worker could not open a channel to run it (the host's connection failed). */
  channelError?: unknown;
  /** The channel closed without an exit status: the connection to the host was lost. */
  lost?: boolean;
}

interface Pending {
  open: (command: string) => Promise<ClientChannel>;
  settle: (outcome: RelayOutcome) => void;
}

/** Architectures whose Linux uses the generic constants the relay spells out. */
const GENERIC_LINUX = ['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64'];

let perlChecked: boolean | undefined;
/** Whether this worker can run the relay: Linux with Perl. */
export function relayAvailable(): boolean {
  perlChecked ??=
    process.platform === 'linux' &&
    GENERIC_LINUX.includes(process.arch) &&
    spawnSync('perl', ['-e', '1'], { stdio: 'ignore' }).status === 0;
  return perlChecked;
}

/** The worker's end of the relay: a Unix socket in a private directory. */
export class RsyncRelay {
  private readonly pending = new Map<string, Pending>();
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private listening: Promise<void> | undefined;
  readonly socketPath: string;
  readonly scriptPath: string;

  /** `dir` must be private to the worker's user (mode 0700): whoever can connect can use the pool. */
  constructor(dir: string) {
    this.socketPath = path.join(dir, 'rsync.sock');
    this.scriptPath = path.join(dir, 'rsync-relay.pl');
  }

  /**
   * Writes the relay and listens, at the first copy: a transport that never
   * copies (the CLI's) opens nothing, and the server never keeps a process
   * alive by itself (unref: a running copy holds it through rsync).
   */
  private listen(): Promise<void> {
    this.listening ??= new Promise((resolve, reject) => {
      writeFileSync(this.scriptPath, RELAY, { mode: 0o600 });
      const server = net.createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
      this.server = server;
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
      server.unref();
    });
    return this.listening;
  }

  /** rsync's -e value: the relay and where it finds the worker (rsync splits it on spaces). */
  get remoteShell(): string {
    return `perl "${this.scriptPath}" "${this.socketPath}"`;
  }

  /**
   * Registers one copy: rsync is to be pointed at `<token>:<path>`, and its
   * remote command runs in a channel from `open`. Resolves when that command
   * has ended; `cancel` settles it when rsync ended without reaching the relay.
   */
  async expect(
    open: (command: string) => Promise<ClientChannel>,
  ): Promise<{ token: string; outcome: Promise<RelayOutcome>; cancel: () => void }> {
    await this.listen();
    const token = randomBytes(16).toString('hex');
    let settle!: (o: RelayOutcome) => void;
    const outcome = new Promise<RelayOutcome>((resolve) => (settle = resolve));
    this.pending.set(token, { open, settle });
    return {
      token,
      outcome,
      cancel: () => {
        if (this.pending.delete(token)) settle({ code: null, stderr: '' });
      },
    };
  }

  /** Stops listening and cuts the copies still running (the worker is shutting down). */
  close(): Promise<void> {
    for (const sock of this.sockets) sock.destroy();
    for (const token of [...this.pending.keys()]) this.pending.delete(token);
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(sock: net.Socket) {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 256) sock.destroy();
        return;
      }
      const m = /^([0-9a-f]{32}) (\d+)$/.exec(head.subarray(0, nl).toString('latin1'));
      const length = m ? Number(m[2]) : NaN;
      if (!m || head.length < nl + 1 + length) {
        if (!m || length > 1 << 20) sock.destroy();
        return;
      }
      sock.off('data', onData);
      sock.pause();
      const job = this.pending.get(m[1]!);
      this.pending.delete(m[1]!);
      if (!job) return sock.destroy(); // not a copy this worker started
      const command = head.subarray(nl + 1, nl + 1 + length).toString('utf8');
      const rest = head.subarray(nl + 1 + length);
      void this.run(sock, job, command, rest);
    };
    sock.on('data', onData);
    sock.on('error', () => sock.destroy());
  }

  private async run(sock: net.Socket, job: Pending, command: string, rest: Buffer) {
    let channel: ClientChannel;
    try {
      channel = await job.open(command);
    } catch (channelError) {
      sock.destroy();
      job.settle({ code: null, stderr: '', channelError });
      return;
    }
    let stderr = '';
    let code: number | null = null;
    let exited = false;
    channel.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    channel.on('exit', (c: number | null) => {
      exited = true;
      code = typeof c === 'number' ? c : null;
    });
    let closed = false;
    channel.on('close', () => {
      closed = true;
      // Ended without an exit: the connection died under it. Cut the relay
      // at once (it exits on the reset) rather than let rsync wait for bytes.
      if (exited) sock.end();
      else sock.destroy();
      job.settle({ code, stderr, lost: !exited });
    });
    // The relay went away first (rsync killed by its deadline): end the remote side too.
    sock.on('close', () => {
      if (!closed) channel.close();
    });
    if (rest.length > 0) channel.write(rest);
    sock.pipe(channel); // the relay's stdin EOF ends the remote command's stdin
    channel.pipe(sock, { end: false });
    sock.resume();
  }
}
