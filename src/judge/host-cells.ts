// Each metric reduces a host's readings to one small cell (its windows'
// sums or levels), and then tests the cells. judge() computes the cells host
// by host, every metric in turn: a host's readings are walked while they
// are in the CPU's cache. Metric by metric, each metric streamed every
// host's readings from memory again (about 12 MB at 2,000 hosts, 60 MB at
// 10,000), and a look spent most of its time waiting for memory.
import type { HostSeries } from './types.js';

/** Reduces one host's readings to a metric's cell; null when the host has no data for it. */
export type CellOf<T> = (h: HostSeries) => T | null;

/** Each metric's cells for one group of hosts, in the group's host order. */
export type GroupCells = readonly (readonly unknown[])[];

/** The cells of every metric for `hosts`, walking each host once. */
export function cellsByHost(extract: readonly CellOf<unknown>[], hosts: readonly HostSeries[]) {
  const out: unknown[][] = extract.map(() => new Array<unknown>(hosts.length));
  for (let i = 0; i < hosts.length; i++) {
    const h = hosts[i]!;
    for (let k = 0; k < extract.length; k++) out[k]![i] = extract[k]!(h);
  }
  return out as GroupCells;
}

/**
 * One metric's cells for `hosts`: the ones computed host by host when given
 * (the cells its CellOf makes), else computed now.
 */
export function cellsFor<T>(
  hosts: readonly HostSeries[],
  cellOf: CellOf<T>,
  given: readonly unknown[] | undefined,
): readonly (T | null)[] {
  return (given as readonly (T | null)[] | undefined) ?? hosts.map(cellOf);
}
