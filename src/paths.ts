// Every local path phased uses in one place: its home, the tools venv and the data directory.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in <root>/src or <root>/dist/src). */
export const projectRoot = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.basename(path.dirname(here)) === 'dist' ? '../..' : '..';
  return path.resolve(here, up);
})();

/** True when phased runs from an installed package rather than a checkout. */
export const installedAsPackage = (root = projectRoot) =>
  root.split(path.sep).includes('node_modules');

/**
 * Home of everything phased installs or writes locally (the Temporal servers,
 * the embedded server's data, reports): $PHASED_HOME; else the checkout's
 * git-ignored .phased; for an installed package, ~/.phased (the package's own
 * directory may be read-only and is replaced on upgrade).
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PHASED_HOME) return path.resolve(env.PHASED_HOME);
  if (installedAsPackage()) return path.join(env.HOME ?? os.homedir(), '.phased');
  return path.join(projectRoot, '.phased');
}

/** Where the embedded Temporal server keeps its SQLite file. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.PHASED_DATA_DIR ?? path.join(stateDir(env), 'data'));
}

export function venvBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'venv', 'bin');
}
