// The command line's own contract, as scripts and CI rely on it: --version,
// help exits 0, and every usage error (unknown command or flag, a missing
// option, a bad number) exits 2 like any other bad input, saying what is wrong.
import { describe, expect, it } from 'vitest';
import { runPhased } from '../helpers/cli.js';

// No server is needed: TEMPORAL_ADDRESS points nowhere on purpose.
const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

describe('phased usage', () => {
  it('prints its version and help with exit 0', async () => {
    const v = await runPhased(['--version'], env);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runPhased(['deploy', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--revision <rev>');
  });

  it('exits 2 on every usage error, naming it', async () => {
    const cases: [string[], string][] = [
      [['nosuch'], "unknown command 'nosuch'"],
      [['history', 'web', '--bogus'], "unknown option '--bogus'"],
      [['deploy', '--cluster', 'web'], "required option '--revision <rev>' not specified"],
      [['history', 'web', '--limit', 'abc'], 'expected a whole number of at least 1'],
      [['history', 'web', '--limit', '0'], 'expected a whole number of at least 1'],
      [['promote', 'web', '--reason', 'x'], 'promote needs exactly one of --skip and --proceed'],
      [
        ['promote', 'web', '--reason', 'x', '--skip', '--proceed'],
        'promote needs exactly one of --skip and --proceed',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runPhased(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  });
});
