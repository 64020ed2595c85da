// Ctrl-C in the middle of `phased demo`: everything it started stops (the
// embedded server, sshd hosts, Prometheus, web servers, traffic, worker), and
// it says so.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_BINARY } from '../../src/app/demo/prometheus.js';
import { eventually } from '../../src/poll.js';
import { startPhased } from '../helpers/cli.js';
import { testDir } from '../helpers/tmp.js';

/** Every process below `pid`, from the kernel's process table. */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [p, pp] of rows)
      if (pp === parent) {
        found.push(p);
        walk(p);
      }
  };
  walk(pid);
  return found;
}

/** Running, as opposed to gone or a zombie waiting for a parent that may never reap it. */
const running = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe('phased demo, interrupted', () => {
  it('given a deploy in progress, when Ctrl-C arrives, then every process it started is gone and it exits 130', async () => {
    const demo = startPhased(['demo'], {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      PHASED_DATA_DIR: await testDir(),
      PHASED_TEMPORAL_PORT: '0',
      PHASED_TEMPORAL_UI_PORT: '0',
    });
    await demo.waitFor('deploying good', 150_000);
    const started = descendants(demo.pid);
    // The embedded Temporal server, the hosts' sshd processes and Prometheus at least.
    expect(started.length).toBeGreaterThanOrEqual(10);
    const command = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!;
      } catch {
        return '';
      }
    };
    expect(started.map(command)).toContain(PROMETHEUS_BINARY);
    demo.signal('SIGINT');
    const result = await demo.exited;
    expect(result.stdout).toContain(
      'phased demo: the demo was interrupted; everything it started has been stopped',
    );
    expect(result.code).toBe(130);
    // sshd's session processes end when their connection closes, a moment
    // after phased's exit closed it.
    await eventually(() => Promise.resolve(started.filter(running).length === 0), {
      what: `the demo's processes to end (${started.filter(running).join(', ')})`,
      timeoutMs: 15_000,
    });
  }, 180_000);
});
