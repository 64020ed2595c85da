// Which serving host a target copies from in fan-out staging. Pure: the
// activity keeps the swarm's state and asks here.
import type { Host } from '../core/vocabulary.js';

export interface SwarmServer {
  host: Host;
  /** Copies it is making now. */
  busy: number;
  /** Its staging failed or a copy from it did: it serves no more. */
  dead: boolean;
  /** Still receiving the release: a target follows it, copying files as they land. */
  filling: boolean;
  /**
   * Following copies between it and a complete copy: 0 for a host the worker
   * or a complete server copies to, one more for each server still filling.
   */
  depth: number;
}

/**
 * A chain of hosts each following one still filling lags a little more at
 * each link (each pass of rsync copies what its server held when it began):
 * past this many links a fresh copy from a complete server is sooner. On the
 * fan-out benchmark a link lagged about 1.5 s behind a 5 s copy; 32 hosts
 * took 33 s with chains of 8, 21 s with chains of 4 or 3.
 */
export const MAX_FOLLOW_DEPTH = 4;

/**
 * The server a target should copy from, or undefined when every live one is
 * at its limit (or filling, and the target may not follow, or at the end of
 * a chain MAX_FOLLOW_DEPTH long). A
 * complete server first (a full-speed copy now), then the nearest (rack,
 * then zone), then the shortest chain, then the least busy.
 */
export function pickServer<S extends SwarmServer>(
  target: Host,
  servers: Iterable<S>,
  perServer: number,
  spreadBy: readonly string[],
  follow = true,
): S | undefined {
  let best: S | undefined;
  for (const s of servers) {
    if (s.dead || s.busy >= perServer) continue;
    if (s.filling && (!follow || s.depth + 1 > MAX_FOLLOW_DEPTH)) continue;
    if (!best || better(target, s, best, spreadBy)) best = s;
  }
  return best;
}

function better(target: Host, a: SwarmServer, b: SwarmServer, spreadBy: readonly string[]) {
  if (a.filling !== b.filling) return !a.filling;
  const near = nearness(target, a.host, spreadBy) - nearness(target, b.host, spreadBy);
  if (near !== 0) return near > 0;
  if (a.depth !== b.depth) return a.depth < b.depth;
  if (a.busy !== b.busy) return a.busy < b.busy;
  return a.host.name < b.host.name;
}

/** Same rack counts most, then same zone (the later tags in spreadBy are the nearer). */
export function nearness(a: Host, b: Host, spreadBy: readonly string[]): number {
  return spreadBy.reduce(
    (n, tag, i) => n + (a.tags?.[tag] !== undefined && a.tags[tag] === b.tags?.[tag] ? 1 << i : 0),
    0,
  );
}

/**
 * How many hosts may serve at once with a worker allowed `maxConnections`
 * SSH connections: a serving host holds its connection while it serves, so
 * half are left for copies (past that every connection could be serving and
 * no copy could start). One connection: none serves.
 */
export function maxServers(maxConnections: number): number {
  return Math.floor(maxConnections / 2);
}
