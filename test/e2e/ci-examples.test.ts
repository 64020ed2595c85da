// The CI examples users copy (examples/ci/) must parse, and every phased
// command they run must exist with every flag they pass: checked against
// the CLI's own help, so a renamed flag breaks this test, not a pipeline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../src/paths.js';
import { runPhased } from '../helpers/cli.js';

const example = (name: string) =>
  parse(readFileSync(path.join(projectRoot, 'examples/ci', name), 'utf8')) as Record<
    string,
    unknown
  >;

/** Shell lines of a GitHub workflow's steps and a GitLab pipeline's scripts. */
function scriptLines(doc: Record<string, unknown>): string[] {
  const jobs = (doc.jobs ?? doc) as Record<string, Record<string, unknown>>;
  return Object.values(jobs).flatMap((job) => {
    if (typeof job !== 'object' || job === null) return [];
    const steps = (job.steps as { run?: string }[] | undefined) ?? [];
    const script = (job.script as string[] | undefined) ?? [];
    return [...steps.flatMap((s) => (s.run ? s.run.split('\n') : [])), ...script];
  });
}

/** Each `phased <command> --flags...` invocation: its command and flags. */
function phasedCalls(lines: string[]): { command: string; flags: string[] }[] {
  return lines
    .map((l) => l.trim())
    .filter((l) => l.startsWith('phased '))
    .map((l) => {
      const words = l.split(/\s+/);
      return { command: words[1]!, flags: words.filter((w) => w.startsWith('--')) };
    });
}

const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

describe('CI examples', () => {
  for (const [file, shape] of [
    ['github-actions.yml', (d: Record<string, unknown>) => d.on && d.jobs],
    ['gitlab-ci.yml', (d: Record<string, unknown>) => d.stages],
  ] as const)
    it(`${file} parses and runs only phased commands and flags that exist`, async () => {
      const doc = example(file);
      expect(shape(doc)).toBeTruthy();
      const calls = phasedCalls(scriptLines(doc));
      expect(calls.map((c) => c.command)).toEqual(['deploy']);
      for (const { command, flags } of calls) {
        const help = await runPhased([command, '--help'], env);
        expect(help.code).toBe(0);
        for (const flag of flags) expect(help.stdout, `${command} ${flag}`).toContain(`${flag} `);
        // Deploys from CI wait and gate on the outcome, with a deadline.
        expect(flags).toEqual(expect.arrayContaining(['--wait', '--timeout', '--revision']));
      }
      const lines = scriptLines(doc);
      // Commit data reaches a shell only as a variable: a commit message
      // holding $(...) never becomes part of a command line.
      for (const line of lines) expect(line, line).not.toContain('${{');
      // phased comes from a tarball the team controls, checked against its digest.
      expect(lines.some((l) => /sha256sum --check/.test(l))).toBe(true);
      expect(lines.filter((l) => /npm install --global/.test(l))).toEqual([
        expect.stringContaining('npm install --global ./ci/phased-'),
      ]);
      const text = readFileSync(path.join(projectRoot, 'examples/ci', file), 'utf8');
      expect(text).toContain('TEMPORAL_API_KEY');
      expect(text).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH');
      expect(text).not.toMatch(/node(-version:|:)\s*20\b/);
    });
});
