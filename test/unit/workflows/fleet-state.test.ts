// Where a deploy's hosts stand as batch results come in, without a server.
import { describe, expect, it } from 'vitest';
import type { HostFailure } from '../../../src/core/vocabulary.js';
import { FleetState } from '../../../workflows/fleet-state.js';

const host = (name: string) => ({ name, address: '127.0.0.1', root: `/srv/${name}`, tags: {} });
const hosts = ['a', 'b', 'c', 'd'].map(host);
const failure = (name: string): HostFailure => ({
  host: name,
  code: 'DISK_FULL',
  error: `${name}: disk full`,
});

describe('FleetState', () => {
  it('stages: remembers where a rollback returns, and leaves out the hosts that could not take the release', () => {
    const fleet = new FleetState(hosts);
    const failed = fleet.staged({
      ok: [
        { host: 'a', result: { previous: 'v1' } },
        { host: 'b', result: { previous: null, adoptedLink: '/opt/app' } },
        { host: 'c', result: { previous: 'v1' } },
      ],
      failed: [failure('d')],
    });
    expect(failed).toEqual([failure('d')]);
    expect(fleet.targets().map((h) => h.name)).toEqual(['a', 'b', 'c']);
    expect(fleet.hostsIn('unavailable')).toEqual(['d']);
    expect(fleet.previous.get('a')).toBe('v1');
    expect(fleet.adoptedLinks.get('b')).toBe('/opt/app');
  });

  it('puts every host a switch touched on the compensation stack, a failed one too', () => {
    const fleet = new FleetState(hosts);
    const failed = fleet.switchedBatch(hosts.slice(0, 3), {
      ok: [
        { host: 'a', result: null },
        { host: 'c', result: null },
      ],
      failed: [failure('b')],
    });
    expect(failed.map((f) => f.host)).toEqual(['b']);
    expect(fleet.switched.map((h) => h.name)).toEqual(['a', 'c', 'b']);
    expect(fleet.state.get('b')).toBe('switch_failed');
    fleet.rolledBackBatch({ ok: [{ host: 'a', result: null }], failed: [failure('c')] });
    expect(fleet.rolledBack).toEqual(['a']);
    expect(fleet.hostsIn('rollback_failed')).toEqual(['c']);
  });
});
