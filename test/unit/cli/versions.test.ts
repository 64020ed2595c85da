import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { versionsText, workerVersionOf } from '../../../src/app/cli/versions.js';
import { isPhasedError } from '../../../src/errors.js';
import { defaultBuildId } from '../../../src/app/temporal/versioning.js';
import { projectRoot } from '../../../src/paths.js';

describe("the worker's version", () => {
  const build = { version: '1.2.3', root: projectRoot };

  it('comes from the flags, else the environment, else the defaults', () => {
    expect(
      workerVersionOf({ deploymentName: 'ops', buildId: 'b7' }, { PHASED_BUILD_ID: 'x' }, build),
    ).toEqual({ deploymentName: 'ops', buildId: 'b7' });
    expect(
      workerVersionOf({}, { PHASED_DEPLOYMENT_NAME: 'web', PHASED_BUILD_ID: '2.0.0+abc' }, build),
    ).toEqual({ deploymentName: 'web', buildId: '2.0.0+abc' });
    expect(workerVersionOf({}, {}, build)?.deploymentName).toBe('phased');
    expect(workerVersionOf({ versioning: false }, {}, build)).toBeUndefined();
  });

  it("is phased's version and, in a git checkout, its commit", () => {
    expect(defaultBuildId('1.2.3', projectRoot)).toMatch(/^1\.2\.3\+[0-9a-f]{12}$/);
    const notGit = mkdtempSync(path.join(os.tmpdir(), 'phased-build-'));
    try {
      expect(defaultBuildId('1.2.3', notGit)).toBe('1.2.3');
    } finally {
      rmSync(notGit, { recursive: true });
    }
  });

  it('refuses a name Temporal would not take, naming the fix', () => {
    let err: unknown;
    try {
      workerVersionOf({ buildId: 'a b;rm' }, {}, build);
    } catch (e) {
      err = e;
    }
    expect(isPhasedError(err, 'CONFIG_INVALID')).toBe(true);
    expect(String(err)).toContain('build id "a b;rm"');
    expect(String(err)).toContain('letters, digits');
  });
});

describe('phased upgrade shows the builds', () => {
  it('current first, each with what it means for its workers', () => {
    const text = versionsText('phased', [
      { buildId: '1.0.0', state: 'drained' },
      { buildId: '1.1.0', state: 'draining' },
      { buildId: '1.2.0', state: 'current' },
    ]);
    expect(text.split('\n')).toEqual([
      'worker deployment phased:',
      '  1.2.0     current   new deploys and rollbacks start here',
      '  1.1.0     draining  deploys that started here are still running: keep its workers',
      '  1.0.0     drained   nothing runs here any more: its workers can stop',
    ]);
  });
});
