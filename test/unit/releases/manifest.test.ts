// Release manifests: the lines hosts store (in byte order, paths as JSON
// strings), what a host rebuilds from its basis's manifest and a delta, and
// which files rsync's quick check would take for unchanged although their
// content differs.
import { describe, expect, it } from 'vitest';
import {
  digestOf,
  manifestDelta,
  manifestLines,
  manifestText,
  parseManifest,
  quickCheckMisses,
  type ManifestEntry,
} from '../../../src/releases/manifest.js';

const h = (c: string) => c.repeat(64);
const entry = (p: string, s: number, m: number, hash: string): ManifestEntry => ({
  p,
  s,
  m,
  h: hash,
});

describe('release manifests', () => {
  it('store one line per file in byte order, with any path as a JSON string, and read back exactly', () => {
    const entries = [
      entry('b.js', 10, 1_700_000_000, h('b')),
      entry('a dir/é.txt', 3, 1_700_000_001, h('c')),
      entry('weird\nname "x"', 0, 1, h('d')),
      entry('A.js', 1, 2, h('e')),
    ];
    const lines = manifestLines(entries);
    expect(lines).toEqual([
      `"A.js" 1 2 ${h('e')}`,
      `"a dir/é.txt" 3 1700000001 ${h('c')}`,
      `"b.js" 10 1700000000 ${h('b')}`,
      `"weird\\nname \\"x\\"" 0 1 ${h('d')}`,
    ]);
    const text = manifestText(lines);
    expect(parseManifest(text)).toEqual([entries[3], entries[1], entries[0], entries[2]]);
    expect(digestOf(text)).toMatch(/^[0-9a-f]{64}$/);
    for (const bad of ['', '{"v":1,"files":[]}', `"a" 1 2 ${h('z')}\n`, `"a" 1 2 ${h('a')}`])
      expect(parseManifest(bad)).toBeNull();
  });

  it('describe a release as a delta from its basis: lines dropped and lines added', () => {
    const basis = manifestLines([
      entry('a', 1, 1, h('a')),
      entry('b', 1, 1, h('b')),
      entry('c', 1, 1, h('c')),
    ]);
    const next = manifestLines([
      entry('a', 1, 1, h('a')),
      entry('b', 2, 5, h('f')),
      entry('d', 1, 1, h('d')),
    ]);
    const delta = manifestDelta(next, basis);
    expect(delta).toBe(
      `-"b" 1 1 ${h('b')}\n-"c" 1 1 ${h('c')}\n+"b" 2 5 ${h('f')}\n+"d" 1 1 ${h('d')}\n`,
    );
    // What the host does with it: drop, add, sort in byte order.
    const dropped = new Set(
      delta
        .split('\n')
        .filter((l) => l.startsWith('-'))
        .map((l) => l.slice(1)),
    );
    const added = delta
      .split('\n')
      .filter((l) => l.startsWith('+'))
      .map((l) => l.slice(1));
    const rebuilt = [...basis.filter((l) => !dropped.has(l)), ...added].sort((x, y) =>
      Buffer.compare(Buffer.from(x), Buffer.from(y)),
    );
    expect(digestOf(manifestText(rebuilt))).toBe(digestOf(manifestText(next)));
  });

  it("name the files rsync's quick check would wrongly take from the basis, and only those", () => {
    const basis = [
      entry('same.js', 5, 100, h('a')),
      entry('rebuilt.json', 6, 100, h('b')), // same size and second, new content
      entry('grown.js', 5, 100, h('c')),
      entry('touched.js', 5, 100, h('d')),
      entry('gone.js', 5, 100, h('e')),
    ];
    const next = [
      entry('same.js', 5, 100, h('a')),
      entry('rebuilt.json', 6, 100, h('f')),
      entry('grown.js', 7, 100, h('0')), // size differs: rsync sends it anyway
      entry('touched.js', 5, 101, h('1')), // mtime differs: rsync sends it anyway
      entry('new.js', 5, 100, h('2')), // no basis copy: sent
    ];
    expect(quickCheckMisses(next, basis)).toEqual(['rebuilt.json']);
  });
});
