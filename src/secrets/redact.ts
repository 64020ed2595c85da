// Every secret value this worker process has read (metric tokens, header
// values from files or the environment, webhook URLs, its own Temporal
// credentials), so that whatever a host says back (hook output, health check
// answers) reaches the workflow history with those values blanked out.

/** Shorter values are too likely to be ordinary words to blank out. */
const MIN_SECRET_LENGTH = 6;

const known = new Set<string>();

/** Remembers a secret value; each line of a multi-line one (a PEM key) counts on its own. */
export function rememberSecret(value: string | undefined | null): void {
  if (!value) return;
  for (const part of [value, value.trim(), ...value.split(/\r?\n/).map((l) => l.trim())])
    if (part.length >= MIN_SECRET_LENGTH) known.add(part);
}

/** The text with every remembered secret value replaced by [redacted], longest first. */
export function redactSecrets(text: string): string {
  if (known.size === 0 || text.length === 0) return text;
  let out = text;
  for (const secret of [...known].sort((a, b) => b.length - a.length))
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/** Forgets every secret (tests). */
export function forgetSecrets(): void {
  known.clear();
}
