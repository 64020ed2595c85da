// Cluster files are decoded strictly: a misspelt key is refused at its own
// path with the nearest key phased knows, never ignored for a default.
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../src/config/load.js';
import { nearestKey } from '../../../src/config/strict.js';
import { PhasedError } from '../../../src/errors.js';

const minimal = { cluster: 'web', hosts: [{ name: 'web-1', root: '/srv/web' }] };

function problemLines(doc: unknown): string[] {
  try {
    parseClusterConfig(doc, 'web.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PhasedError);
    return (err as PhasedError).problem
      .split('\n')
      .slice(1)
      .map((l) => l.replace(/^ {2}- /, ''));
  }
  throw new Error('expected the configuration to be refused');
}

describe('strict cluster files', () => {
  it('refuses a misspelt key at any depth, naming its path and the key meant', () => {
    expect(
      problemLines({
        ...minimal,
        canry: { size: 1 },
        durations: { baselin: '60s', soak: '30s' },
        hosts: [{ name: 'web-1', root: '/srv/web', adress: '10.0.0.1' }],
        probes: [{ type: 'log-lines', path: '/l', series: 'n', pattern: 'x', patern: 'x' }],
        judge: { alpah: 0.01 },
      }),
    ).toEqual([
      'hosts[0].adress: unknown key, did you mean `address`?',
      'durations.baselin: unknown key, did you mean `baseline`?',
      'judge.alpah: unknown key, did you mean `alpha`?',
      'probes[0].patern: unknown key, did you mean `pattern`?',
      'canry: unknown key, did you mean `canary`?',
    ]);
  });

  it('lists the keys known there when nothing is close', () => {
    const [line] = problemLines({ ...minimal, retention: { keep: 3, colour: 'blue' } });
    expect(line).toBe('retention.colour: unknown key (known here: `keep`)');
  });

  it('suggests only what is close enough to be a typo', () => {
    expect(nearestKey('canry', ['canary', 'waves'])).toBe('canary');
    expect(nearestKey('lookevery', ['lookEvery', 'soak'])).toBe('lookEvery');
    expect(nearestKey('hosts2', ['hosts', 'holdback'])).toBe('hosts');
    expect(nearestKey('colour', ['keep'])).toBeUndefined();
  });
});
