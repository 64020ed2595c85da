// Builds of the sample app in examples/demo-app: the same files, plus a
// release.json that says how the build behaves (see app-server.ts).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { Behaviour } from './app-server.js';

export const APP_SOURCE = path.join(projectRoot, 'examples/demo-app');

/** Writes the build `behaviour.revision` under `dir` and returns its directory. */
export function writeBuild(dir: string, behaviour: Behaviour): string {
  const out = path.join(dir, behaviour.revision);
  mkdirSync(out, { recursive: true });
  cpSync(APP_SOURCE, out, { recursive: true, filter: (f) => !f.endsWith('README.md') });
  writeFileSync(path.join(out, 'release.json'), JSON.stringify(behaviour) + '\n');
  return out;
}
