// The layers' import arrows point down. At the top, the application
// (src/app/: cli, worker, client, devserver, Temporal wiring, report, demo)
// may use everything; workflows and activities stand on src/core/,
// activities never reach into workflows/; the libraries (every other folder
// and module of src/) know nothing of the application, the workflows or the
// activities. Read from the source, so a new arrow the wrong way fails here,
// beside the ESLint fences that stop most of them.
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

const isApp = (file: string) => file.startsWith('src/app/');
const libraries = sources('src').filter((f) => !isApp(f));
const application = sources('src/app');
const all = [...sources('workflows'), ...sources('activities'), ...libraries, ...application];
const arrows = all.flatMap(arrowsOf);
const show = (a: Arrow[]) => a.map((x) => `${x.from}: ${x.line}`);

describe('the import graph', () => {
  it('reads every layer (the test sees the files it checks)', () => {
    expect(all).toContain('workflows/deploy.ts');
    expect(all).toContain('activities/hosts.ts');
    expect(all).toContain('src/core/vocabulary.ts');
    expect(libraries).toEqual(expect.arrayContaining(['src/errors.ts', 'src/judge/index.ts']));
    expect(application).toEqual(
      expect.arrayContaining(['src/app/cli/main.ts', 'src/app/worker.ts', 'src/app/demo/run.ts']),
    );
    expect(arrows.length).toBeGreaterThan(100);
  });

  it('the libraries, workflows and activities import nothing of the application (src/app/)', () => {
    const wrong = arrows.filter((a) => !isApp(a.from) && isApp(a.to));
    expect(show(wrong)).toEqual([]);
  });

  it('the libraries sit at the top level of src/ only (a new folder is a library or goes in app/)', () => {
    const folders = new Set(libraries.map((f) => f.split('/')[1]!));
    expect([...folders].sort()).toEqual([
      'config',
      'core',
      'errors.ts',
      'judge',
      'metrics',
      'paths.ts',
      'poll.ts',
      'releases',
      'secrets',
      'stats',
      'transport',
    ]);
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
      (a) => !a.from.startsWith('workflows/') && !isApp(a.from) && a.to.startsWith('workflows/'),
    );
    expect(show(wrong)).toEqual([]);
  });

  it('the libraries under src/ import no activities', () => {
    const wrong = arrows.filter(
      (a) => a.from.startsWith('src/') && !isApp(a.from) && a.to.startsWith('activities/'),
    );
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
