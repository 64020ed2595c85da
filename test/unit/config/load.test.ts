import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClusterConfig, parseClusterConfig } from '../../../src/config/load.js';
import { PhasedError } from '../../../src/errors.js';
import { testDir } from '../../helpers/tmp.js';

const minimal = { cluster: 'web', hosts: [{ name: 'web-1', root: '/srv/web' }] };

function problems(doc: unknown): string {
  try {
    parseClusterConfig(doc, 'web.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PhasedError);
    expect((err as PhasedError).code).toBe('CONFIG_INVALID');
    return (err as PhasedError).problem;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('cluster configuration', () => {
  it('fills every default from one place', () => {
    const c = parseClusterConfig(minimal);
    expect(c).toMatchObject({
      transport: 'local',
      canary: { size: '10%', spreadBy: ['zone', 'rack'] },
      waves: ['100%'],
      durations: {
        baseline: 180_000,
        soak: 60_000,
        watch: 300_000,
        lookEvery: 30_000,
        soakLookEvery: 10_000,
      },
      retention: { keep: 5 },
      maxUnavailable: 0,
      onInconclusive: 'pause',
      judge: { alpha: 0.001, canaryShare: 0.8 },
      batchSize: 200,
    });
    expect(c.hosts[0]).toEqual({ name: 'web-1', address: '127.0.0.1', root: '/srv/web', tags: {} });
  });

  it('reads a soak every 10 s, or every lookEvery when that is shorter, unless told', () => {
    const durations = (d: object) =>
      parseClusterConfig({ ...minimal, durations: { baseline: '1m', watch: '1m', ...d } })
        .durations;
    expect(durations({ lookEvery: '1s' })).toMatchObject({ lookEvery: 1000, soakLookEvery: 1000 });
    expect(durations({ lookEvery: '1m' })).toMatchObject({ soakLookEvery: 10_000 });
    expect(durations({ lookEvery: '1s', soakLookEvery: '2s' })).toMatchObject({
      soakLookEvery: 2000,
    });
    expect(problems({ ...minimal, durations: { soak: '10m', soakLookEvery: '1s' } })).toContain(
      'raise soakLookEvery',
    );
  });

  it('names every bad field and how to fix it', () => {
    const p = problems({
      cluster: 'web prod',
      hosts: [
        { name: 'web-1', root: 'srv/web' },
        { name: 'web-1', root: '/srv/../etc', address: '-oProxyCommand=x' },
      ],
      canary: { size: '150%' },
      durations: { soak: 'a minute' },
    });
    expect(p).toContain('web.yaml has 6 errors');
    expect(p).toContain('cluster: cluster name is not a safe name');
    expect(p).toContain('hosts[0].root: must be an absolute path');
    expect(p).toContain('hosts[1].root: must be an absolute path');
    expect(p).toContain(
      'hosts[1].address: must be a DNS name or IP address (and cannot start with "-")',
    );
    expect(p).toContain('canary.size');
    expect(p).toContain(
      'durations.soak: "a minute" is not a duration: write e.g. "90s", "1m30s", "5m" or 60 (seconds)',
    );
  });

  it('checks fields against each other once each field is valid', () => {
    const p = problems({
      cluster: 'web',
      hosts: [
        { name: 'web-1', root: '/srv/a' },
        { name: 'web-1', root: '/srv/b' },
      ],
      probes: [{ type: 'loadavg' }],
      metrics: [
        { name: 'errors', kind: 'counter', series: 'http_5xx', exposure: 'load1', tolerance: 0.2 },
      ],
      maxUnavailable: 2,
    });
    expect(p).toContain(
      'hosts[1].name: duplicate host name web-1 (also hosts[0]): give every host its own name',
    );
    expect(p).toContain(
      'metrics[0].series: no probe produces series http_5xx: add a probe for it or use one of: load1, load5, load15',
    );
    expect(p).toContain('maxUnavailable: must be below the number of hosts (2)');
  });

  it('refuses host names and revisions that could escape a path or inject a command', () => {
    for (const name of [
      '../x',
      'a b',
      'x;touch /tmp/pwned',
      '$(id)',
      '-oProxyCommand=x',
      '.hidden',
    ])
      expect(problems({ ...minimal, hosts: [{ name, root: '/srv/web' }] })).toContain(
        'hosts[0].name',
      );
  });

  it('reads YAML files and reports syntax errors with their line', async () => {
    const dir = await testDir();
    const good = path.join(dir, 'web.yaml');
    writeFileSync(good, 'cluster: web\nhosts:\n  - name: web-1\n    root: /srv/web\n');
    expect(loadClusterConfig(good).cluster).toBe('web');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'cluster: web\nhosts: [\n');
    expect(() => loadClusterConfig(bad)).toThrow(/bad\.yaml is not valid YAML \(line \d+\)/);
    expect(() => loadClusterConfig(path.join(dir, 'missing.yaml'))).toThrow(
      /cannot read the cluster configuration/,
    );
  });
});

describe('inputs that must be refused (each names the field and the fix)', () => {
  const hosts = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: n }, (_, i) => ({
      name: `web-${i + 1}`,
      root: `/srv/w${i}`,
      ...extra(i),
    }));
  const base = { cluster: 'web', hosts: hosts(4) };

  it.each<[string, Record<string, unknown>, string]>([
    [
      'canary as large as the fleet',
      { canary: { size: 4 } },
      'canary.size: 4 canary host(s) of 4 leaves no control host',
    ],
    ['canary larger than the fleet', { canary: { size: 9 } }, 'use at most 3'],
    ['canary of 100%', { canary: { size: '100%' } }, 'canary.size: 4 canary host(s) of 4'],
    [
      'holdback larger than the fleet',
      { canary: { size: 1 }, holdback: 9 },
      'holdback: 9 held-back host(s) with 1 canary host(s) of 4 leaves no host for the waves: use at most 2',
    ],
    ['holdback leaving no wave', { canary: { size: 2 }, holdback: 2 }, 'use at most 1'],
    [
      'zero lookEvery',
      { durations: { lookEvery: '0s' } },
      'durations.lookEvery: "0s" must be longer than zero',
    ],
    ['zero soak', { durations: { soak: 0 } }, 'durations.soak: "0" must be longer than zero'],
    ['negative duration', { durations: { watch: -5 } }, 'durations.watch: "-5" is not a duration'],
    [
      'absurd look count',
      { durations: { watch: '1h', lookEvery: '1s' } },
      'durations.watch: 1h with a reading every 1s is 3600 readings, more than the 120 a phase may take: raise lookEvery to at least 30s',
    ],
    [
      'duplicate roots (local)',
      { hosts: hosts(3, () => ({ root: '/srv/same' })) },
      'hosts[1].root: same root /srv/same as hosts[0]',
    ],
    [
      'duplicate roots with a trailing slash',
      {
        hosts: [
          { name: 'a', root: '/srv/x' },
          { name: 'b', root: '/srv/x/' },
          { name: 'c', root: '/srv/y' },
        ],
      },
      'hosts[1].root: same root',
    ],
    [
      'duplicate addresses (ssh)',
      {
        transport: 'ssh',
        ssh: { user: 'deploy' },
        hosts: hosts(3, (i) => ({ address: i < 2 ? '10.0.0.1' : '10.0.0.2', root: '/srv/app' })),
      },
      'hosts[1].address: same address and port 10.0.0.1:22 as hosts[0]',
    ],
    [
      'duplicate names',
      { hosts: [...hosts(3), { name: 'web-1', root: '/srv/other' }] },
      'hosts[3].name: duplicate host name web-1',
    ],
    ['unknown unsafeSymlinks policy', { unsafeSymlinks: 'follow' }, 'unsafeSymlinks'],
  ])('%s', (_what, overrides, message) => {
    expect(problems({ ...base, ...overrides })).toContain(message);
  });

  it('accepts what those rules leave: distinct ports on one address, the same root over ssh, one host with nothing to judge', () => {
    expect(() =>
      parseClusterConfig({
        cluster: 'web',
        transport: 'ssh',
        ssh: { user: 'deploy' },
        hosts: hosts(3, (i) => ({ address: '10.0.0.1', port: 2200 + i, root: '/srv/app' })),
      }),
    ).not.toThrow();
    expect(() => parseClusterConfig(minimal)).not.toThrow();
    expect(parseClusterConfig({ ...base, holdback: 1, canary: { size: 2 } }).holdback).toBe(1);
    expect(parseClusterConfig(base)).toMatchObject({
      createRoot: false,
      adopt: false,
      unsafeSymlinks: 'refuse',
    });
  });
});
