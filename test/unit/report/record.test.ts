// The report's record rebuilt from a recorded deploy history (the replay
// test's, recorded by an early version of phased: its readings had
// per-host times and whole hosts as input, which the record still reads).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/paths.js';
import { deployRecord } from '../../../src/app/report/record.js';
import { isPhasedError } from '../../../src/errors.js';

const history = () =>
  proto.temporal.api.history.v1.History.fromObject(
    JSON.parse(
      readFileSync(path.join(projectRoot, 'test/workflow/histories/deploy-happy.json'), 'utf8'),
    ) as object,
  );

describe('deployRecord', () => {
  it('reads the input, every reading of every host, each look, each switch and the outcome', () => {
    const r = deployRecord('deploy-replay-v2', history().events);
    expect(r.input).toMatchObject({ cluster: 'replay', revision: 'v2' });
    expect(r.series).toEqual(['load1']);
    expect(r.readings.map((x) => [x.index, x.label])).toEqual([
      [0, 'baseline'],
      [1, 'baseline'],
      [2, 'baseline'],
      [3, 'canary'],
      [4, 'canary'],
      [5, 'canary'],
      ...[6, 7, 8, 9, 10].map((i) => [i, 'watch']),
    ]);
    for (const x of r.readings) expect(Object.keys(x.hosts)).toHaveLength(6);
    expect(r.looks.map((l) => [l.request.phase, l.verdict?.verdict])).toEqual([
      // The last wave is not soaked: the watch judges it.
      ['canary', 'pass'],
      ...[1, 2, 3, 4].map(() => ['watch', 'pass']),
    ]);
    expect(r.looks[0]!.request).toMatchObject({
      before: [0, 1, 2],
      after: [3, 4, 5],
      canary: ['web-5', 'web-6'],
      control: ['web-1', 'web-2', 'web-3', 'web-4'],
    });
    expect(r.flips.map((f) => [f.label, f.direction, f.hosts])).toEqual([
      ['switch canary: 2 hosts', 'forward', ['web-5', 'web-6']],
      ['switch wave 1/1: 2 hosts', 'forward', ['web-3', 'web-4']],
      ['switch holdback: 2 hosts', 'forward', ['web-1', 'web-2']],
    ]);
    expect(r.outcome?.outcome).toBe('done');
    expect(r.closedAt).toBeGreaterThan(r.startedAt);
    expect(r.closedWithout).toBeNull();
  });

  it('keeps what a running deploy has recorded so far', () => {
    const events = history().events;
    const cut = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'judgeLook',
    );
    const r = deployRecord('deploy-replay-v2', events.slice(0, cut));
    expect(r.closedAt).toBeNull();
    expect(r.outcome).toBeNull();
    expect(r.looks).toEqual([]);
    expect(r.readings.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a workflow that is not a deploy, saying how to find one', () => {
    const events = history().events;
    events[0]!.workflowExecutionStartedEventAttributes!.workflowType = { name: 'rollback' };
    let thrown: unknown;
    try {
      deployRecord('rollback-x', events);
    } catch (err) {
      thrown = err;
    }
    expect(isPhasedError(thrown, 'DEPLOY_NOT_FOUND')).toBe(true);
    expect(String(thrown)).toContain('rollback-x is a rollback, not a deploy');
  });
});
