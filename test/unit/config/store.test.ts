// The clusters a worker holds: read by name from its own directory, each
// version kept by the digest of its bytes, so a changed file takes effect for
// the next deploy while a running one keeps the version it started with.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ClusterStore } from '../../../src/config/store.js';
import { PhasedError } from '../../../src/errors.js';
import { forgetSecrets, redactSecrets } from '../../../src/secrets/redact.js';
import { testDir } from '../../helpers/tmp.js';

const doc = (extra: Record<string, unknown> = {}) => ({
  cluster: 'web',
  hosts: [{ name: 'web-1', root: '/srv/web-1' }],
  ...extra,
});

const refusal = (fn: () => unknown): PhasedError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PhasedError);
    return err as PhasedError;
  }
  throw new Error('expected a refusal');
};

describe('ClusterStore', () => {
  it('reads a cluster by name, with the digest sha256sum prints for its file', async () => {
    const dir = await testDir();
    writeFileSync(path.join(dir, 'web.yaml'), stringify(doc()));
    const loaded = new ClusterStore(dir).current('web');
    expect(loaded.config.hosts[0]!.name).toBe('web-1');
    expect(loaded.file).toBe(path.join(dir, 'web.yaml'));
    const sha = execFileSync('sha256sum', [loaded.file], { encoding: 'utf8' }).split(' ')[0];
    expect(loaded.digest).toBe(sha);
  });

  it('refuses a cluster it does not hold, naming the ones it does, and names that are paths', async () => {
    const dir = await testDir();
    writeFileSync(path.join(dir, 'web.yaml'), stringify(doc()));
    writeFileSync(path.join(dir, 'api.yml'), stringify(doc({ cluster: 'api' })));
    const store = new ClusterStore(dir);
    const unknown = refusal(() => store.current('shop'));
    expect(unknown.code).toBe('CLUSTER_UNKNOWN');
    expect(unknown.problem).toBe(
      `this worker holds no cluster "shop" (no shop.yaml in ${dir}; it holds api, web)`,
    );
    for (const name of ['../web', '/etc/passwd', 'web/../../x'])
      expect(refusal(() => store.current(name)).code, name).toBe('CLUSTER_UNKNOWN');
    writeFileSync(path.join(dir, 'misnamed.yaml'), stringify(doc()));
    expect(refusal(() => store.current('misnamed')).problem).toContain(
      'describes cluster web, not misnamed',
    );
  });

  it('plans a file before a deploy starts with it: looks that could never decide are refused with the fix', async () => {
    const dir = await testDir();
    const hosts = Array.from({ length: 6 }, (_, i) => ({
      name: `web-${i + 1}`,
      root: `/srv/${i}`,
    }));
    const metrics = [
      { name: 'errors', kind: 'counter', series: 'errors', exposure: 'requests', tolerance: 0.2 },
    ];
    const probes = [{ type: 'command', argv: ['stats'], series: ['requests', 'errors'] }];
    writeFileSync(
      path.join(dir, 'web.yaml'),
      stringify(doc({ hosts, probes, metrics, canary: { size: 4 } })),
    );
    const refused = refusal(() => new ClusterStore(dir).current('web'));
    expect(refused.code).toBe('CONFIG_INVALID');
    expect(refused.problem).toContain(
      'canary.size: the canary look would compare 4 canary host(s) with 2 control host(s), but the judge needs judge.minControlHosts=3, so it could never decide: use a smaller canary',
    );
  });

  it('a changed file is what the next deploy gets; a running deploy keeps its version, on a restarted worker too', async () => {
    const dir = await testDir();
    const kept = path.join(await testDir(), 'versions');
    const file = path.join(dir, 'web.yaml');
    writeFileSync(file, stringify(doc({ retention: { keep: 3 } })));
    const first = new ClusterStore(dir, kept).current('web');
    writeFileSync(file, stringify(doc({ retention: { keep: 4 } })));
    const store = new ClusterStore(dir, kept);
    const second = store.current('web');
    expect(second.digest).not.toBe(first.digest);
    expect(second.config.retention.keep).toBe(4);
    // The deploy that started with the first version resolves it, from the kept copy.
    const resumed = store.resolve({ cluster: 'web', digest: first.digest });
    expect(resumed.config.retention.keep).toBe(3);
    // A version nobody kept falls back to the worker's current file, never to a caller's.
    expect(store.resolve({ cluster: 'web', digest: 'a'.repeat(64) }).digest).toBe(second.digest);
    expect(refusal(() => store.resolve(undefined)).code).toBe('CALLER_CONFIG_REFUSED');
    expect(refusal(() => store.hostsNamed(second, ['web-1', 'evil'])).problem).toBe(
      `cluster web has no host evil in ${file}`,
    );
  });

  it('remembers the secrets a configuration names, so hook output is redacted of them', async () => {
    forgetSecrets();
    const dir = await testDir();
    const tokenFile = path.join(dir, 'prom-token');
    writeFileSync(tokenFile, 's3cr3t-from-a-file\n');
    writeFileSync(
      path.join(dir, 'web.yaml'),
      stringify(
        doc({
          metricsSource: {
            type: 'prometheus',
            url: 'http://prom:9090',
            bearerTokenFile: tokenFile,
            headers: { 'X-Scope-OrgID': { env: 'ORG_SECRET' } },
          },
          notify: [{ urlEnv: 'SLACK_URL' }],
        }),
      ),
    );
    new ClusterStore(dir, undefined, {
      ORG_SECRET: 'org-secret-value',
      SLACK_URL: 'https://hooks.example/T000/B000/XXXX',
      UNRELATED: 'not-a-secret-here',
    }).current('web');
    expect(
      redactSecrets(
        'token s3cr3t-from-a-file org org-secret-value url https://hooks.example/T000/B000/XXXX other not-a-secret-here',
      ),
    ).toBe('token [redacted] org [redacted] url [redacted] other not-a-secret-here');
    expect(readFileSync(tokenFile, 'utf8')).toBe('s3cr3t-from-a-file\n');
    forgetSecrets();
  });
});
