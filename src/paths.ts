// Every project-local path in one place: the tools venv and the data directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in <root>/src or <root>/dist/src). */
export const projectRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
})();

/** Git-ignored home of everything phased installs or writes locally. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PHASED_HOME ?? path.join(projectRoot, '.phased'));
}

/** Where the embedded Temporal server keeps its SQLite file. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PHASED_DATA_DIR ?? path.join(stateDir(env), 'data'));
}

export function venvBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'venv', 'bin');
}
