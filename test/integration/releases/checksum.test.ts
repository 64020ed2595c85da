// The release checksum on real files: its formula is what the completion
// markers already on the fleet hold, and the worker's cache never answers
// for a file rebuilt in place.
import { chmodSync, mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedTreeChecksum, treeChecksum } from '../../../src/releases/checksum.js';
import { testDir } from '../../helpers/tmp.js';

async function fixedTree(): Promise<string> {
  const src = path.join(await testDir(), 'build');
  const file = (rel: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    writeFileSync(path.join(src, rel), content);
    chmodSync(path.join(src, rel), mode);
  };
  file('index.html', '<h1>v1</h1>\n');
  file('bin/start', '#!/bin/sh\nexec node app.js\n', 0o755);
  file('assets/Big.bin', Buffer.alloc(5 * 2 ** 20 + 3, 7)); // more than one read
  file('assets/empty', '');
  file('assets/app.js', 'console.log(1)\n');
  symlinkSync('assets/app.js', path.join(src, 'app.js'));
  for (const d of ['', 'bin', 'assets']) chmodSync(path.join(src, d), 0o755);
  return src;
}

describe('the release checksum', () => {
  it('is the formula the markers on the fleet were written with', async () => {
    const tree = await treeChecksum(await fixedTree());
    // Computed by the phased that wrote the first markers: changing the
    // formula would make every release already staged a RELEASE_CONFLICT.
    expect(tree.checksum).toBe('e35c2535f700a77b2d308d6a5d73b0b5');
    expect(tree).toMatchObject({ files: 5, bytes: 5 * 2 ** 20 + 3 + 12 + 27 + 15 });
    expect(tree.manifest!.map((e) => e.p)).toEqual([
      'assets/Big.bin',
      'assets/app.js',
      'assets/empty',
      'bin/start',
      'index.html',
    ]);
  });

  it('is computed again for a file rebuilt in place with the same size and mtime', async () => {
    const src = await fixedTree();
    const page = path.join(src, 'index.html');
    const built = new Date('2026-11-01T00:00:00Z'); // a whole second: utimes sets it exactly
    utimesSync(page, built, built);
    const cached = cachedTreeChecksum();
    const before = await cached(src);
    expect(await cached(src)).toBe(before); // nothing changed: the cached summary

    writeFileSync(page, '<h1>v2</h1>\n'); // same size
    utimesSync(page, built, built); // and the same mtime, as a reproducible build sets it
    expect(statSync(page).mtimeMs).toBe(built.getTime());
    const after = await cached(src);
    expect(after.checksum).not.toBe(before.checksum);
    expect(after.checksum).toBe((await treeChecksum(src)).checksum);
    const entry = (t: typeof before) => t.manifest!.find((e) => e.p === 'index.html')!;
    expect(entry(after)).toMatchObject({ s: entry(before).s, m: entry(before).m });
    expect(entry(after).h).not.toBe(entry(before).h);
  });
});
