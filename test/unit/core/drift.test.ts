// Drift: the hosts' releases against the newest deploy or rollback that ended done.
import { describe, expect, it } from 'vitest';
import { driftLines, fleetDrift, type RecordedRun } from '../../../src/core/drift.js';

const run = (
  workflowId: string,
  status: string,
  revision: string,
  outcome?: string,
): RecordedRun => ({
  workflowId,
  type: workflowId.split('-')[0]!,
  status,
  revision,
  outcome,
});

describe('fleetDrift', () => {
  it('compares with the newest run that ended done, skipping rolled-back, terminated and mixed-target runs', () => {
    const d = fleetDrift(
      [
        { host: 'web-1', current: 'v2' },
        { host: 'web-2', current: 'v3' },
        { host: 'web-3', current: 'v2' },
      ],
      [
        run('deploy-c', 'TERMINATED', 'v3'),
        run('rollback-b', 'COMPLETED', 'v1,v2', 'done'),
        run('deploy-b', 'FAILED', 'v4', 'rolled_back'),
        run('deploy-a', 'COMPLETED', 'v2', 'done'),
      ],
    );
    expect(d.recorded).toEqual({ revision: 'v2', workflowId: 'deploy-a' });
    expect(d.off).toEqual([{ host: 'web-2', current: 'v3' }]);
    expect(d.unfinished).toEqual({ workflowId: 'deploy-c', status: 'TERMINATED' });
    expect(driftLines('web', d)).toEqual([
      'DRIFT: 1 of 3 hosts not on the recorded live release v2 (deploy-a): web-2 on v3; the fleet runs v2 (2 hosts), v3 (web-2)',
      '  the newest run, deploy-c, ended TERMINATED without an outcome: nothing put its hosts back',
      "  fix: phased rollback web --to v2 --reason '...' (every host back on v2), or deploy the release you want live again",
    ]);
  });

  it('a fleet on its recorded release is one line; a host that could not be read is named', () => {
    const d = fleetDrift(
      [{ host: 'web-1', current: 'v2' }],
      [run('deploy-a', 'COMPLETED', 'v2', 'done')],
      [{ host: 'web-2', error: 'cannot reach it over SSH' }],
    );
    expect(driftLines('web', d)).toEqual([
      'fleet: all 1 hosts on v2, the recorded live release v2 (deploy-a)',
      '  could not inspect web-2: cannot reach it over SSH',
    ]);
  });
});
