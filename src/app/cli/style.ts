// Colours for people at a terminal, never in pipes or logs: on only when
// stdout is a TTY, off with NO_COLOR (https://no-color.org) or --no-color,
// on with FORCE_COLOR. picocolors: tiny, dependency-free, and its functions
// are plain identities when colours are off.
import pc from 'picocolors';
import type { Outcome } from '../../core/vocabulary.js';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorsEnabled(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): boolean {
  if (argv.includes('--no-color') || (env.NO_COLOR ?? '') !== '') return false;
  if ((env.FORCE_COLOR ?? '') !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

let current: Colors = pc.createColors(colorsEnabled());

/** The colours of this process's output (tests set them explicitly). */
export const colors = (): Colors => current;
export const setColors = (enabled: boolean) => void (current = pc.createColors(enabled));

/** An outcome or verdict word in the colour an operator reads at a glance. */
export function paint(
  word: string,
  kind: Outcome | 'pass' | 'regression' | 'inconclusive',
): string {
  const c = colors();
  switch (kind) {
    case 'done':
    case 'pass':
      return c.green(word);
    case 'rolled_back':
    case 'failed':
    case 'regression':
      return c.red(c.bold(word));
    case 'aborted':
    case 'inconclusive':
      return c.yellow(word);
    case 'superseded':
      return c.dim(word);
  }
}
