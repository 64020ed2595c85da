// The layers' import arrows point down: workflows and activities both stand
// on src/core/, activities never reach into workflows/, and the libraries
// under src/ know nothing of either. Read from the source, so a new arrow
// the wrong way fails here, beside the ESLint fences that stop most of them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

interface Arrow {
  from: string;
  to: string;
  typeOnly: boolean;
  line: string;
}

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** Every relative import and re-export of a file, resolved to a path from the root. */
function arrowsOf(file: string): Arrow[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const out: Arrow[] = [];
  const statement = /^(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)';/gms;
  for (const m of text.matchAll(statement)) {
    const to = path.normalize(path.join(path.dirname(file), m[3]!)).replace(/\.js$/, '.ts');
    const names = /\{([^}]*)\}/
      .exec(m[0])?.[1]
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    // `import { type A, type B }` is as type-only as `import type { A, B }`.
    const allTyped =
      names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type '));
    out.push({
      from: file,
      to,
      typeOnly: m[2] !== undefined || allTyped,
      line: m[0].replace(/\s+/g, ' '),
    });
  }
  return out;
}

const LIBRARIES = ['config', 'transport', 'releases', 'metrics', 'judge', 'stats', 'core'];
const all = [
  ...sources('workflows'),
  ...sources('activities'),
  ...LIBRARIES.flatMap((l) => sources(`src/${l}`)),
];
const arrows = all.flatMap(arrowsOf);
const show = (a: Arrow[]) => a.map((x) => `${x.from}: ${x.line}`);

describe('the import graph', () => {
  it('reads every layer (the test sees the files it checks)', () => {
    expect(all).toContain('workflows/deploy.ts');
    expect(all).toContain('activities/hosts.ts');
    expect(all).toContain('src/core/vocabulary.ts');
    expect(arrows.length).toBeGreaterThan(100);
  });

  it('workflows reach activities only through the Activities interface, as a type', () => {
    const wrong = arrows.filter(
      (a) =>
        a.from.startsWith('workflows/') &&
        a.to.startsWith('activities/') &&
        !(a.typeOnly && a.to === 'activities/index.ts' && /\{ Activities \}/.test(a.line)),
    );
    expect(show(wrong)).toEqual([]);
  });

  it('nothing in activities/ or the libraries under src/ imports workflows/', () => {
    const wrong = arrows.filter(
      (a) => !a.from.startsWith('workflows/') && a.to.startsWith('workflows/'),
    );
    expect(show(wrong)).toEqual([]);
  });

  it('the libraries under src/ import no activities', () => {
    const wrong = arrows.filter((a) => a.from.startsWith('src/') && a.to.startsWith('activities/'));
    expect(show(wrong)).toEqual([]);
  });

  it('src/core/ is a floor: it imports only itself, and other modules only as types', () => {
    const wrong = arrows.filter(
      (a) => a.from.startsWith('src/core/') && !a.to.startsWith('src/core/') && !a.typeOnly,
    );
    expect(show(wrong)).toEqual([]);
  });

  it('the vocabulary is a leaf: it imports nothing but types', () => {
    const wrong = arrows.filter((a) => a.from === 'src/core/vocabulary.ts' && !a.typeOnly);
    expect(show(wrong)).toEqual([]);
  });
});
