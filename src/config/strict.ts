// Cluster files are decoded strictly, as Kubernetes decodes manifests: a key
// phased does not know is refused, never ignored, because a misspelt
// `canry:` or `baselin:` would otherwise deploy silently with the defaults.
// The refusal names the nearest key phased does know.
import levenshteinDistance from '@stdlib/string-base-distances-levenshtein';
import { z } from 'zod';

/** The known key closest to `word`, when it is close enough to be a typo. */
export function nearestKey(word: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = levenshteinDistance(word.toLowerCase(), key.toLowerCase());
    if (!best || distance < best.distance) best = { key, distance };
  }
  const tolerated = Math.max(2, Math.floor(word.length / 3));
  return best && best.distance <= tolerated ? best.key : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near
    ? `unknown key, did you mean \`${near}\`?`
    : `unknown key (known here: ${known.map((k) => `\`${k}\``).join(', ')})`;
}

/**
 * z.object that refuses unknown keys. Its issue's message holds one line per
 * unknown key, in the issue's key order, naming the nearest known key
 * (formatIssues puts each on its own path).
 */
export function strictObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? iss.keys.map((k) => unknownKeyMessage(k, known)).join('\n')
        : undefined,
  });
}
