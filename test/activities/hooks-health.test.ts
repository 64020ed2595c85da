// Lifecycle hooks and health checks around a switch, through the real
// activities and the local transport on real directories: the hook runs in
// the new release with the release in its environment (never in the command
// text), its output's tail is kept, and a failing hook or a host that never
// answers its health check fails that host's switch.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createHostActivities } from '../../activities/hosts.js';
import type { AfterSwitch, Host } from '../../src/core/vocabulary.js';
import { LocalTransport } from '../../src/transport/local.js';
import { eventually } from '../../src/poll.js';
import { hostActivitiesOver, inActivity } from '../helpers/activity.js';
import { hostsOnV1WithV2Staged } from '../helpers/staged-hosts.js';
import { clusterOver } from '../helpers/clusters.js';
import type { ClusterStore } from '../../src/config/store.js';

const t = new LocalTransport();

/** Two hosts live on v1 with v2 staged (v2's release has a `healthy` file on web-1 only). */
async function fleet(): Promise<{ dir: string; hosts: Host[] }> {
  const staged = await hostsOnV1WithV2Staged(t, ['web-1', 'web-2']);
  writeFileSync(path.join(staged.hosts[0]!.root, 'releases/v2/healthy'), 'yes\n');
  return staged;
}

const activities = (clusters: ClusterStore) =>
  createHostActivities({
    transport: () => t,
    clusters,
    treeChecksum: () => Promise.reject(new Error('flipping needs no checksum')),
    snapshot: () => Promise.reject(new Error('flipping needs no snapshot')),
  });

/** Flips `hosts` with `hook`, their cluster file saying (in `doc`) what the hooks and health check are. */
const flip = (
  hosts: Host[],
  revision: string,
  hook: AfterSwitch['hook'],
  doc: Record<string, unknown> = {},
) => {
  const { store, ref } = clusterOver(hosts, doc);
  return inActivity(new MockActivityEnvironment(), () =>
    activities(store).flipHosts({
      ref,
      targets: hosts.map((host) => ({ host, revision })),
      after: { hook },
    }),
  );
};

const live = (h: Host) => readFileSync(path.join(h.root, 'current', 'index.html'), 'utf8').trim();

const health = (check: Record<string, unknown>) => ({
  health: { deadline: '1500ms', interval: '100ms', timeout: '1s', ...check },
});

describe('the afterSwitch hook', () => {
  it('runs in the new release with the release in its environment, and keeps the tail of its output', async () => {
    const { dir, hosts } = await fleet();
    const out = path.join(dir, 'hook-ran');
    // A revision can never carry shell syntax, but the hook sees values only through $VARS anyway.
    const run = `pwd; printf '%s %s %s %s\\n' "$PHASED_HOOK" "$PHASED_HOST" "$PHASED_REVISION" "$PHASED_PREVIOUS_REVISION" >> ${out}; seq 1 40`;
    const result = await flip(hosts, 'v2', 'afterSwitch', {
      hooks: { afterSwitch: { run, timeout: '10s' } },
    });
    expect(result.failed).toEqual([]);
    const lines = readFileSync(out, 'utf8').trim().split('\n').sort();
    expect(lines).toEqual(['afterSwitch web-1 v2 v1', 'afterSwitch web-2 v2 v1']);
    const [first] = result.ok;
    expect(first!.result).toMatchObject({
      previous: 'v1',
      hooks: [{ hook: 'afterSwitch', code: 0 }],
    });
    // The last 20 lines only, and they end with what the hook wrote last.
    const output = first!.result.hooks![0]!.output.split('\n');
    expect(output).toHaveLength(20);
    expect(output.at(-1)).toBe('40');
    expect(hosts.map(live)).toEqual(['v2', 'v2']);
  });

  it('fails the switch of a host whose hook exits non-zero or outlives its timeout, saying what it wrote', async () => {
    const { hosts } = await fleet();
    const result = await flip(hosts, 'v2', 'afterSwitch', {
      hooks: {
        afterSwitch: {
          run: 'if [ "$PHASED_HOST" = web-1 ]; then echo reload refused >&2; exit 3; else sleep 30 & echo $! > "$PHASED_ROOT/sleep.pid"; wait; fi',
          timeout: '500ms',
        },
      },
    });
    expect(result.ok).toEqual([]);
    const byHost = Object.fromEntries(result.failed.map((f) => [f.host, f]));
    expect(byHost['web-1']).toMatchObject({ code: 'HOOK_FAILED' });
    expect(byHost['web-1']!.error).toContain('hook afterSwitch');
    expect(byHost['web-1']!.error).toContain('exited 3; it wrote:\nreload refused');
    expect(byHost['web-2']).toMatchObject({ code: 'HOOK_FAILED' });
    expect(byHost['web-2']!.error).toContain('did not finish within 0.5s');
    // Its deadline stopped the hook's children too, not only the shell phased started.
    const sleeper = Number(readFileSync(path.join(hosts[1]!.root, 'sleep.pid'), 'utf8'));
    await eventually(
      () => {
        try {
          process.kill(sleeper, 0);
          return Promise.resolve(false);
        } catch {
          return Promise.resolve(true);
        }
      },
      { what: "the timed-out hook's child to be gone", timeoutMs: 10_000, intervalMs: 50 },
    );
  });

  it('runs the afterRollback hook when hosts are switched back', async () => {
    const { dir, hosts } = await fleet();
    const out = path.join(dir, 'rolled-back');
    await flip(hosts, 'v2', 'afterSwitch');
    const result = await flip(hosts, 'v1', 'afterRollback', {
      hooks: {
        afterSwitch: { run: 'exit 1', timeout: '1s' },
        afterRollback: {
          run: `echo "$PHASED_REVISION from $PHASED_PREVIOUS_REVISION" >> ${out}`,
          timeout: '5s',
        },
      },
    });
    expect(result.failed).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('v1 from v2\nv1 from v2\n');
    expect(hosts.map(live)).toEqual(['v1', 'v1']);
  });
});

describe('the health check', () => {
  it('counts a host switched once its command check passes, and fails one that never becomes healthy', async () => {
    const { hosts } = await fleet();
    const result = await flip(hosts, 'v2', 'afterSwitch', health({ command: 'test -f healthy' }));
    expect(result.ok.map((o) => o.host)).toEqual(['web-1']);
    expect(result.ok[0]!.result.health).toMatchObject({ attempts: 1, last: 'exit 0' });
    expect(result.failed).toEqual([
      expect.objectContaining({ host: 'web-2', code: 'HEALTH_CHECK_FAILED' }),
    ]);
    expect(result.failed[0]!.error).toMatch(
      /web-2: not healthy within 1.5s on v2 \(\d+ checks; the last: exit 1\)/,
    );
  });

  it("names the app's last answer, not an attempt the deadline cut short", async () => {
    const { hosts } = await fleet();
    // Answers exit 1 four times, then hangs: the fifth attempt begins at least
    // 812 ms in (pauses of 100, 150, 225 and 337 ms), with under 1 s left.
    const command =
      'n=$(cat .count 2>/dev/null || echo 0); echo $((n + 1)) > .count; [ "$n" -lt 4 ] || sleep 5; exit 1';
    const result = await flip(hosts, 'v2', 'afterSwitch', health({ command }));
    expect(result.failed).toHaveLength(2);
    for (const f of result.failed)
      expect(f.error).toMatch(/not healthy within 1.5s on v2 \(\d+ checks; the last: exit 1\)/);
  });

  it('retries an HTTP check until the status and body are right, within the deadline', async () => {
    const { hosts } = await fleet();
    let asked = 0;
    const server = http.createServer((_req, res) => {
      asked++;
      // Starting up: 503 twice, then a 200 without the word, then healthy.
      if (asked <= 2) res.writeHead(503).end('starting');
      else res.writeHead(200).end(asked === 3 ? 'warming' : 'ok v2');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const result = await flip(
      [hosts[0]!],
      'v2',
      'afterSwitch',
      health({
        http: { scheme: 'http', port, path: '/healthz', status: [200, 299], body: 'ok' },
        deadline: '10s',
      }),
    );
    expect(result.failed).toEqual([]);
    expect(result.ok[0]!.result.health).toMatchObject({ attempts: 4, last: 'HTTP 200' });

    const refusing = await flip(
      [hosts[1]!],
      'v2',
      'afterSwitch',
      health({ http: { scheme: 'http', port: 1, path: '/', status: [200, 399] } }),
    );
    expect(refusing.failed[0]!.code).toBe('HEALTH_CHECK_FAILED');
    expect(refusing.failed[0]!.error).toContain('http://127.0.0.1:1/: ');
  });
});

describe('the other hooks', () => {
  it("runs afterStage in the staged release, and a failing beforePrune keeps the host's releases", async () => {
    const { dir, hosts } = await fleet();
    const source = path.join(dir, 'build', 'v3');
    mkdirSync(source, { recursive: true });
    writeFileSync(path.join(source, 'index.html'), 'v3\n');
    const { store, ref } = clusterOver(hosts, {
      hooks: {
        afterStage: { run: 'echo "cache for $PHASED_REVISION" > cache.txt', timeout: '5s' },
        beforePrune: {
          run: '[ "$PHASED_HOST" = web-1 ] && echo "removing $PHASED_REMOVING" > ../../pruned.txt || exit 9',
          timeout: '5s',
        },
      },
    });
    const a = hostActivitiesOver(t, store, dir);
    const staged = await inActivity(new MockActivityEnvironment(), () =>
      a.stageHosts({ ref, hosts, revision: 'v3', source }),
    );
    expect(staged.failed).toEqual([]);
    for (const h of hosts)
      expect(readFileSync(path.join(h.root, 'releases/v3/cache.txt'), 'utf8')).toBe(
        'cache for v3\n',
      );

    const pruned = await inActivity(new MockActivityEnvironment(), () =>
      a.pruneHosts({ ref, hosts, keep: 2, protect: {} }),
    );
    const byHost = Object.fromEntries(pruned.ok.map((o) => [o.host, o.result]));
    expect(byHost['web-1']!.removed).toEqual(['v2']);
    expect(readFileSync(path.join(hosts[0]!.root, 'pruned.txt'), 'utf8')).toBe('removing v2\n');
    expect(byHost['web-2']!.removed).toEqual([]);
    expect(byHost['web-2']!.pruneRefused).toContain('hook beforePrune');
  });
});
