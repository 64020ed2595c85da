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
      canary: { size: '5%', spreadBy: ['zone', 'rack'] },
      waves: ['100%'],
      durations: { baseline: 180_000, soak: 60_000, watch: 300_000, lookEvery: 30_000 },
      retention: { keep: 5 },
      maxUnavailable: 0,
      onInconclusive: 'pause',
      judge: { alpha: 0.001, canaryShare: 0.8 },
      batchSize: 200,
    });
    expect(c.hosts[0]).toEqual({ name: 'web-1', address: '127.0.0.1', root: '/srv/web', tags: {} });
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
      'durations.soak: "a minute" is not a duration: write e.g. "90s", "5m" or 60',
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
