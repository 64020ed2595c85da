// Log probe benchmark: what one reading of a host with a 1 GiB access log
// costs, reading the whole log at every reading (a one-off reading, and every
// deploy reading before cursors) against reading only what was appended since
// the deploy's previous reading (a deploy's readings now). Time and bytes
// read per reading, on the local transport and, when OpenSSH server is
// installed, on a real sshd host over the worker's pooled SSH connection,
// logged in as a deploy user whose shell reads no rc files.
// Bytes read are the kernel's count (rchar in /proc/<pid>/io) of everything
// the probe's processes read, pipes included.
//
//   npx tsx bench/probe/run.ts
import { appendFileSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Host } from '../../src/core/vocabulary.js';
import { sshdAvailable, startSshdFleet } from '../../src/app/demo/sshd-fleet.js';
import { logCountsProbe } from '../../src/metrics/log-lines.js';
import { projectRoot } from '../../src/paths.js';
import { LocalTransport } from '../../src/transport/local.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { HostTransport } from '../../src/transport/types.js';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { deployUser } from '../deploy-user.js';

const LOG_BYTES = 2 ** 30;
const APPENDS = [1_000, 10_000, 100_000]; // lines appended before a reading
const ROUNDS = 3;

const line = (i: number, status: number) =>
  `2026-11-28T12:00:00.000Z GET /articles/${i % 9973} ${status} ${i % 40}ms good\n`;

function writeLog(file: string, bytes: number) {
  const fd = openSync(file, 'w');
  let chunk = '';
  for (let i = 0; chunk.length < 1 << 20; i++) chunk += line(i, i % 50 === 0 ? 503 : 200);
  const buf = Buffer.from(chunk);
  for (let written = 0; written < bytes; written += buf.length) writeSync(fd, buf);
  closeSync(fd);
}

/** Runs each command under a shell that reports, after its children exit, every byte they read. */
class Measuring implements HostTransport {
  rchar = 0;
  constructor(private readonly inner: HostTransport) {}
  start: HostTransport['start'] = (h, argv) => this.inner.start(h, argv);
  sync: HostTransport['sync'] = (h, o) => this.inner.sync(h, o);
  async exec(h: Host, argv: readonly string[], options?: { timeoutMs?: number }) {
    const r = await this.inner.exec(
      h,
      [
        'sh',
        '-c',
        '"$@"; s=$?; echo "phased-rchar $(sed -n "s/^rchar: //p" /proc/$$/io)" >&2; exit $s',
        'measure',
        ...argv,
      ],
      options,
    );
    const m = /phased-rchar (\d+)/.exec(r.stderr);
    this.rchar = m ? Number(m[1]) : NaN;
    return { ...r, stderr: r.stderr.replace(/phased-rchar \d+\n?/, '') };
  }
}

interface Row {
  transport: string;
  mode: string;
  appendedLines: number;
  appendedBytes: number;
  ms: number;
  bytesRead: number;
  values: Record<string, number>;
}

async function measure(
  label: string,
  transport: HostTransport,
  host: Host,
  log: string,
): Promise<Row[]> {
  const t = new Measuring(transport);
  const probe = logCountsProbe({
    path: log,
    counts: [
      { series: 'requests', pattern: '^' },
      { series: 'errors', pattern: ' 5[0-9][0-9] [0-9]+ms ' },
    ],
  });
  const rows: Row[] = [];
  const read = async (
    mode: string,
    appendedLines: number,
    appendedBytes: number,
    cursor?: string,
  ) => {
    const started = performance.now();
    const r = await probe.read({
      host,
      transport: t,
      timeoutMs: 600_000,
      ...(cursor ? { cursor } : {}),
    });
    rows.push({
      transport: label,
      mode,
      appendedLines,
      appendedBytes,
      ms: performance.now() - started,
      bytesRead: t.rchar,
      values: r.values,
    });
    console.log(JSON.stringify(rows.at(-1)));
  };
  const append = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += line(i, i % 50 === 0 ? 503 : 200);
    appendFileSync(log, s);
    return Buffer.byteLength(s);
  };
  // The floor: a command that reads nothing, through the same transport.
  for (let k = 0; k < ROUNDS; k++) {
    const started = performance.now();
    await t.exec(host, ['true']);
    rows.push({
      transport: label,
      mode: 'no-op command (the round trip alone)',
      appendedLines: 0,
      appendedBytes: 0,
      ms: performance.now() - started,
      bytesRead: t.rchar,
      values: {},
    });
  }
  for (let k = 0; k < ROUNDS; k++) await read('whole log', 0, 0);
  const cursor = `bench-${label}-${Date.now()}`;
  await read('first reading of a deploy', 0, 0, cursor);
  for (const n of APPENDS)
    for (let k = 0; k < ROUNDS; k++) {
      const bytes = append(n);
      await read('appended since the previous reading', n, bytes, cursor);
    }
  return rows;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(path.join(os.tmpdir(), 'phased-bench-probe-'));
const stops: (() => Promise<void>)[] = [];
try {
  const rows: Row[] = [];
  const root = path.join(dir, 'local');
  const log = path.join(root, 'access.log');
  await import('node:fs').then((fs) => fs.mkdirSync(root));
  writeLog(log, LOG_BYTES);
  rows.push(
    ...(await measure(
      'local',
      new LocalTransport(),
      { name: 'web-1', address: '127.0.0.1', root },
      log,
    )),
  );
  if (sshdAvailable()) {
    const fleet = await startSshdFleet(1, 95);
    stops.push(() => fleet.stopAll());
    const h = fleet.hosts[0]!;
    const user = deployUser();
    execFileSync('chown', ['-R', user, h.root]);
    const ssh = new SshTransport({ ...fleet.transportOptions(h), user });
    stops.push(() => ssh.close());
    const sshLog = path.join(h.root, 'access.log');
    writeLog(sshLog, LOG_BYTES);
    execFileSync('chown', [user, sshLog]);
    rows.push(
      ...(await measure(
        'ssh',
        ssh,
        { name: 'web-1', address: h.address, port: h.port, root: h.root },
        sshLog,
      )),
    );
    rmSync(sshLog, { force: true });
  }

  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.transport}|${r.mode}|${r.appendedLines}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const summary = [...groups.values()].map((g) => ({
    transport: g[0]!.transport,
    mode: g[0]!.mode,
    appendedLines: g[0]!.appendedLines,
    appendedBytes: median(g.map((r) => r.appendedBytes)),
    readings: g.length,
    medianMs: Math.round(median(g.map((r) => r.ms)) * 10) / 10,
    medianBytesRead: median(g.map((r) => r.bytesRead)),
  }));
  const result = {
    command: 'npx tsx bench/probe/run.ts',
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    logBytes: LOG_BYTES,
    probe: 'log-counts with 2 patterns (requests, 5xx)',
    summary,
    rows,
  };
  const out = path.join(projectRoot, 'bench/results');
  writeFileSync(path.join(out, 'probe.json'), JSON.stringify(result, null, 2) + '\n');
  const whole = (t: string) => summary.find((s) => s.transport === t && s.mode === 'whole log');
  const md = [
    '# Log probe benchmark',
    '',
    `Command: \`${result.command}\`. Date: ${result.date}. Machine: ${result.machine}.`,
    '',
    `One host whose access log is ${LOG_BYTES / 2 ** 30} GiB (about ${Math.round(LOG_BYTES / Buffer.byteLength(line(1, 200)) / 1e6)} million lines), read by a log-counts probe with 2 patterns (requests, 5xx). ` +
      '"whole log": a reading that counts the whole file (a one-off reading; every reading of a deploy before cursors). ' +
      '"appended": a deploy\'s reading with its cursor, after that many lines were appended since its previous reading. ' +
      `Medians of ${ROUNDS} readings; bytes read are the kernel's count (rchar) of everything the probe's processes read, pipes included.`,
    '',
    '| transport | reading | lines appended | bytes appended | time per reading | bytes read | time vs whole log |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...summary.map(
      (s) =>
        `| ${s.transport} | ${s.mode} | ${s.appendedLines} | ${s.appendedBytes} | ${s.medianMs} ms | ${s.medianBytesRead} | ${(s.medianMs / whole(s.transport)!.medianMs).toFixed(4)} |`,
    ),
    '',
  ];
  writeFileSync(path.join(out, 'probe.md'), md.join('\n'));
  console.log(md.join('\n'));
} finally {
  for (const stop of stops.reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
}
