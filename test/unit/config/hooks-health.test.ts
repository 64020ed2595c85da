// The hooks and health sections of a cluster file: durations become
// milliseconds with bounds that fit a switch's activity, exactly one kind of
// health check, and misspelt hook names refused like any key.
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../src/config/load.js';
import { clusterFileJsonSchema } from '../../../src/config/json-schema.js';
import { PhasedError } from '../../../src/errors.js';

const minimal = { cluster: 'web', hosts: [{ name: 'web-1', root: '/srv/web' }] };

function refusal(doc: unknown): string {
  try {
    parseClusterConfig(doc, 'web.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PhasedError);
    return (err as PhasedError).problem;
  }
  throw new Error('expected the configuration to be refused');
}

describe('hooks and health in a cluster file', () => {
  it('reads hooks with their timeouts and a health check with its deadlines, in milliseconds', () => {
    const c = parseClusterConfig({
      ...minimal,
      hooks: {
        afterSwitch: { run: 'sudo systemctl reload app', timeout: '30s' },
        afterRollback: { run: 'sudo systemctl reload app' },
      },
      health: { http: { port: 8080, path: '/healthz', body: 'ok' }, deadline: '45s' },
    });
    expect(c.hooks).toEqual({
      afterSwitch: { run: 'sudo systemctl reload app', timeoutMs: 30_000 },
      afterRollback: { run: 'sudo systemctl reload app', timeoutMs: 60_000 },
    });
    expect(c.health).toEqual({
      http: { scheme: 'http', port: 8080, path: '/healthz', status: [200, 399], body: 'ok' },
      deadlineMs: 45_000,
      intervalMs: 1_000,
      timeoutMs: 5_000,
    });
    // Neither is required.
    const plain = parseClusterConfig(minimal);
    expect(plain.hooks).toEqual({});
    expect(plain.health).toBeUndefined();
  });

  it('refuses two kinds of health check, long deadlines and misspelt hook names', () => {
    expect(refusal({ ...minimal, health: { command: 'true', http: { port: 80 } } })).toContain(
      'health: give exactly one of http and command',
    );
    expect(refusal({ ...minimal, health: { command: 'true', deadline: '10m' } })).toContain(
      'health.deadline: the health deadline must be at most 120s',
    );
    expect(refusal({ ...minimal, hooks: { afterSwitch: { run: 'x', timeout: '5m' } } })).toContain(
      'hooks.afterSwitch.timeout: a hook timeout must be at most 120s',
    );
    expect(refusal({ ...minimal, hooks: { afterSwich: { run: 'x' } } })).toContain(
      'hooks.afterSwich: unknown key, did you mean `afterSwitch`?',
    );
  });

  it('are in the JSON Schema editors validate cluster files with', () => {
    const schema = JSON.stringify(clusterFileJsonSchema());
    for (const key of ['afterStage', 'afterSwitch', 'afterRollback', 'beforePrune', 'deadline'])
      expect(schema).toContain(`"${key}"`);
  });
});
