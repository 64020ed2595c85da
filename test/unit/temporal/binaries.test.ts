import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhasedError } from '../../../src/errors.js';
import { temporalBinary } from '../../../src/app/temporal/binaries.js';
import { testDir } from '../../helpers/tmp.js';

describe('temporalBinary', () => {
  it("finds the binaries in the project's venv under PHASED_HOME", async () => {
    const home = await testDir();
    const bin = path.join(home, 'venv', 'bin', 'temporal');
    mkdirSync(path.dirname(bin), { recursive: true });
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(temporalBinary('temporal', { PHASED_HOME: home })).toBe(bin);
  });

  it('names the missing path and the setup command', async () => {
    const home = await testDir();
    let thrown: unknown;
    try {
      temporalBinary('temporal-test-server', { PHASED_HOME: home });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PhasedError);
    const err = thrown as PhasedError;
    expect(err.code).toBe('TEMPORAL_BINARY_MISSING');
    expect(err.problem).toContain(path.join(home, 'venv/bin/temporal-test-server'));
    expect(err.fix).toContain(`run phased setup to install the Temporal servers into ${home}`);
  });

  it('refuses a file that is not executable', async () => {
    const dir = await testDir();
    const file = path.join(dir, 'temporal');
    writeFileSync(file, 'not a program');
    expect(() => temporalBinary('temporal', { PHASED_TEMPORAL_CLI: file })).toThrow(
      /PHASED_TEMPORAL_CLI/,
    );
  });
});
