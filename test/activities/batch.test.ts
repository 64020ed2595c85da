// A batch of hosts is the unit a worker heartbeats and Temporal retries:
// forEachHost in a mocked activity context, resuming from the details of an
// earlier attempt's last heartbeat, as a retried activity does.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { forEachHost } from '../../activities/batch.js';
import { PhasedError } from '../../src/errors.js';
import { inActivity } from '../helpers/activity.js';

const hosts = ['web-1', 'web-2', 'web-3', 'web-4'].map((name) => ({ name }));

/** An earlier attempt's last heartbeat: the hosts it finished, with their results. */
const resumedFrom = (done: Record<string, unknown>) =>
  new MockActivityEnvironment({ heartbeatDetails: { done } });

describe('forEachHost in an activity', () => {
  it('a retried batch resumes: hosts an earlier attempt finished are not run again', async () => {
    const env = resumedFrom({ 'web-1': 'r1 (earlier attempt)', 'web-3': 'r3 (earlier attempt)' });
    const ran: string[] = [];
    const result = await inActivity(env, () =>
      forEachHost(hosts, (h) => {
        ran.push(h.name);
        return Promise.resolve(`${h.name} now`);
      }),
    );
    expect(ran.sort()).toEqual(['web-2', 'web-4']);
    expect(result.failed).toEqual([]);
    // Results in the batch's order, the earlier attempt's kept as it reported them.
    expect(result.ok).toEqual([
      { host: 'web-1', result: 'r1 (earlier attempt)' },
      { host: 'web-2', result: 'web-2 now' },
      { host: 'web-3', result: 'r3 (earlier attempt)' },
      { host: 'web-4', result: 'web-4 now' },
    ]);
  });

  it('heartbeats each finished host, so the attempt after a crash resumes after it', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result = await inActivity(env, () =>
      forEachHost(
        hosts,
        (h) => {
          if (h.name === 'web-3')
            throw new PhasedError({ code: 'DISK_FULL', problem: 'web-3: disk full', fix: 'f' });
          return Promise.resolve(h.name.toUpperCase());
        },
        1, // one at a time: the heartbeats follow the batch's order
      ),
    );
    expect(result.failed).toEqual([
      { host: 'web-3', code: 'DISK_FULL', error: 'web-3: disk full' },
    ]);
    expect(beats).toContainEqual({ done: { 'web-1': 'WEB-1' } });
    expect(beats).toContainEqual({ done: { 'web-1': 'WEB-1', 'web-2': 'WEB-2' } });
    expect(beats.at(-1)).toEqual({
      done: { 'web-1': 'WEB-1', 'web-2': 'WEB-2', 'web-4': 'WEB-4' },
    });
    // What the next attempt would be given resumes after every host but the failed one.
    const again: string[] = [];
    await inActivity(resumedFrom((beats.at(-1) as { done: Record<string, unknown> }).done), () =>
      forEachHost(hosts, (h) => {
        again.push(h.name);
        return Promise.resolve('x');
      }),
    );
    expect(again).toEqual(['web-3']);
  });

  it('retries a transient failure on its own host, and reports a lasting one without failing the batch', async () => {
    const env = new MockActivityEnvironment();
    const tries = new Map<string, number>();
    const transient = (h: string) =>
      new PhasedError({
        code: 'HOST_UNREACHABLE',
        problem: `${h}: connection reset`,
        fix: 'f',
        retryable: true,
      });
    const result = await inActivity(env, () =>
      forEachHost(hosts, (h) => {
        const n = (tries.get(h.name) ?? 0) + 1;
        tries.set(h.name, n);
        if (h.name === 'web-2' && n === 1) throw transient(h.name); // recovers on the 2nd try
        if (h.name === 'web-4') throw transient(h.name); // never recovers
        return Promise.resolve(n);
      }),
    );
    expect(Object.fromEntries(tries)).toEqual({ 'web-1': 1, 'web-2': 2, 'web-3': 1, 'web-4': 3 });
    expect(result.ok.map((r) => r.host)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(result.failed).toEqual([
      { host: 'web-4', code: 'HOST_UNREACHABLE', error: 'web-4: connection reset' },
    ]);
  });
});
