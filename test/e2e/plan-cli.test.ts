// `phased plan` as an operator runs it before the first deploy: no Temporal,
// just the configuration, and a refusal with the fix when a look could never
// decide.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runPhased } from '../helpers/cli.js';
import { testDir } from '../helpers/tmp.js';

async function clusterFile(hosts: number): Promise<string> {
  const file = path.join(await testDir(), 'web.yaml');
  await writeFile(
    file,
    stringify({
      cluster: 'web',
      hosts: Array.from({ length: hosts }, (_, i) => ({
        name: `web-${i + 1}`,
        root: `/srv/web-${i + 1}`,
      })),
      probes: [
        {
          type: 'log-counts',
          path: '{root}/log/access.log',
          counts: [
            { series: 'requests', pattern: '^' },
            { series: 'http_5xx', pattern: ' 5[0-9][0-9] ' },
          ],
        },
      ],
      metrics: [
        {
          name: 'http_5xx',
          kind: 'counter',
          series: 'http_5xx',
          exposure: 'requests',
          tolerance: 0.2,
          critical: true,
        },
      ],
    }),
  );
  return file;
}

// No server is needed: TEMPORAL_ADDRESS points nowhere on purpose.
const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

describe('phased plan', () => {
  it('prints the rollout, each look and what its metrics need, and exits 0', async () => {
    const file = await clusterFile(8);
    const r = await runPhased(['plan', '--cluster', 'web', '--config', file], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sha = execFileSync('sha256sum', [file], { encoding: 'utf8' }).slice(0, 12);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        `configuration: ${file} sha256:${sha} (a deploy records the digest of the worker's copy: compare)`,
        'warning: no access list: anyone who can start workflows in the namespace may deploy, roll back and operate this cluster (add access: to the file)',
        '8 hosts: 1 canary, then waves of 4, 3 held back as watch controls',
        'readings every 30s (10s in a soak): baseline 3m (6), soak 1m (6), watch 5m (10)',
        'canary look: 1 switched vs 7 control, alpha 0.00072',
        '  http_5xx (counter): quasi-Poisson rate ratio, regression below p=0.00065; a pass needs about 22 events expected at the tolerated rate (more with overdispersion); catches x2 half the time from 41 http_5xx a minute per host at the rate before (Poisson)',
        '  requests (traffic): per-host traffic vs own baseline, regression below p=7.2e-5',
        '  early stop: a look at each of the 5 earlier readings, alpha 1.6e-5 each, rolls back on a regression only',
        'watch look 10 of 10 (decides): 5 switched vs 3 control, alpha 5e-5',
        '  early stop: a look at each of the 9 earlier readings, alpha 5.6e-6 each, rolls back on a regression only',
        '  each watch look also judges the last 60s on their own (alpha 5e-5 at the last), for a regression that starts late',
        'http_5xx judges only after the canaries saw 1000 requests since the switch (minExposure): at least 16.7 requests/s per canary host to decide within the 1m soak',
      ]),
    );
  });

  it('with --json, gives the plan as data', async () => {
    const r = await runPhased(
      ['plan', '--cluster', 'web', '--config', await clusterFile(20), '--json'],
      env,
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      canaries: number;
      holdback: number;
      looks: { phase: string }[];
    };
    expect(plan).toMatchObject({ hosts: 20, canaries: 2, holdback: 3 });
    expect(plan.looks.map((l) => l.phase)).toEqual(['canary', 'watch']);
  });

  it('refuses a fleet whose watch could never decide, with exit 2 and the fix', async () => {
    const r = await runPhased(['plan', '--cluster', 'web', '--config', await clusterFile(4)], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'holdback: the watch would compare the switched hosts with 2 held-back host(s)',
    );
    expect(r.stderr).toContain('set holdback: 0 for a watch without comparison');
  });

  it('prints the cluster file JSON Schema, strict like phased itself', async () => {
    const r = await runPhased(['config', 'schema'], env);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { additionalProperties?: boolean }>;
    };
    expect(schema.required).toEqual(['cluster', 'hosts']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.durations!.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('canary');
  });

  it('refuses a misspelt key in a cluster file with the key it meant', async () => {
    const file = path.join(await testDir(), 'typo.yaml');
    await writeFile(
      file,
      stringify({
        cluster: 'web',
        hosts: [{ name: 'web-1', root: '/srv/web' }],
        canry: { size: 1 },
      }),
    );
    const r = await runPhased(['plan', '--cluster', 'web', '--config', file], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('canry: unknown key, did you mean `canary`?');
  });
});
