// Number formatting for verdict reasons: short, and the same everywhere.

export function formatP(p: number): string {
  if (p === 0) return '0';
  if (p >= 1e-4) return String(Number(p.toPrecision(2)));
  return p.toExponential(1).replace('.0e', 'e');
}

export function formatRatio(r: number): string {
  return `x${r >= 10 ? r.toFixed(0) : r >= 1.995 ? r.toFixed(1) : r.toFixed(2)}`;
}

export function formatRate(rate: number, perRequest: boolean): string {
  if (perRequest) return `${Number((rate * 100).toPrecision(2))}%`;
  return `${Number(rate.toPrecision(3))}/s`;
}

export function formatLevel(v: number): string {
  return String(Number(v.toPrecision(3)));
}
