// Durations in configuration: "90s", "5m", "1h", "250ms", compounds like
// "1m30s" or "1h15m" (largest unit first, as Go and Prometheus write them),
// or a number of seconds.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds, or undefined when the value is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let last = Infinity; // each unit smaller than the one before
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    if (!m) return undefined;
    const unit = UNIT_MS[m[2] as keyof typeof UNIT_MS];
    if (unit >= last) return undefined;
    last = unit;
    total += Number(m[1]) * unit;
  }
  return text === '' ? undefined : total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
