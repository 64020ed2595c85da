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
 * each link (each pass of rsync copies what its server held when it began),
 * so a chain ends somewhere and the hosts past it wait for a complete server:
 * each host serving then starts a chain of its own, a round of copies. How
 * long a chain pays depends on the fleet: see swarmShape. Never longer than
 * this.
 */
export const MAX_FOLLOW_DEPTH = 8;

/**
 * A link's lag, as a share of one host's copy, that swarmShape assumes: the
 * fan-out benchmark measured about 0.28 at 100 Mbit/s (1.5 s behind a 5.3 s
 * copy) and 0.08 at 20 Mbit/s (1.75 s behind 22.8 s). Nearer the larger: a
 * link's lag is paid by every host past it, but a round costs a whole copy.
 */
export const LAG_PER_COPY = 0.2;

/**
 * How many rounds of copies reach `hosts` with chains `depth` links long: the
 * seeds and their chains first, then in each round every host holding the
 * release starts `perServer` chains (a copy from it, then `depth` links
 * following).
 */
export function roundsFor(hosts: number, seeds: number, perServer: number, depth: number): number {
  const chain = (links: number) => {
    let n = 0;
    for (let k = 1, width = perServer; k <= links; k++, width *= perServer) n += width;
    return n;
  };
  // No seed is planned as one: the worker copies to at least one host.
  let have = Math.max(1, seeds) * (1 + chain(depth));
  let rounds = 1;
  while (have < hosts) {
    have += have * chain(depth + 1);
    rounds++;
  }
  return rounds;
}

export interface SwarmShape {
  /** Copies one serving host makes at once. */
  perServer: number;
  /** The longest chain of following copies. */
  depth: number;
  /** Rounds of copies the fleet takes with these. */
  rounds: number;
  /** Their estimated time, in host copies. */
  cost: number;
}

/**
 * The chain length that stages `hosts` from `seeds` soonest by this model: a
 * round costs one copy (perServer copies when a server's uplink is shared)
 * plus a lag per link; of two that cost the same, the one with fewer rounds
 * (each round also waits for servers to come free, which this does not
 * count). 64 hosts from 2 seeds, one copy each: 5 links (12 hosts in the
 * first round, then every one starts a chain: 2 rounds, where 4 links need 3).
 */
export function swarmShape(hosts: number, seeds: number, perServer: number): SwarmShape {
  let best: SwarmShape = { perServer, depth: 1, rounds: Infinity, cost: Infinity };
  for (let depth = 1; depth <= MAX_FOLLOW_DEPTH; depth++) {
    const rounds = roundsFor(hosts, seeds, perServer, depth);
    const cost = rounds * (perServer + depth * LAG_PER_COPY);
    const tie = Math.abs(cost - best.cost) < 1e-9;
    if ((!tie && cost < best.cost) || (tie && rounds < best.rounds))
      best = { perServer, depth, rounds, cost };
  }
  return best;
}

/** How many following links a chain may have when `seeds` stage `hosts` (swarmShape). */
export const followDepth = (hosts: number, seeds: number, perServer: number): number =>
  swarmShape(hosts, seeds, perServer).depth;

/**
 * The copies each serving host makes at once that stage `hosts` soonest: one
 * gets a host's whole uplink, but only the hosts in the seeds' chains copy
 * in the first round while the rest wait; two halve each copy's rate and
 * let the first round reach four times as many hosts a link deeper (64 hosts
 * from 2 seeds: one round of trees 5 links deep, against two rounds of
 * chains). Of two that cost the same, one copy at a time.
 */
export function bestSwarmShape(hosts: number, seeds: number): SwarmShape {
  let best = swarmShape(hosts, seeds, 1);
  for (let perServer = 2; perServer <= 3; perServer++) {
    const shape = swarmShape(hosts, seeds, perServer);
    if (shape.cost < best.cost - 1e-9) best = shape;
  }
  return best;
}

export interface PickRules {
  /** Copies one server makes at once. */
  perServer: number;
  /** Host tags, farthest first, that say which servers are near. */
  spreadBy: readonly string[];
  /** The target may follow a server still filling (a first copy; never a delta). */
  follow: boolean;
  /** The longest chain of following copies (followDepth). */
  maxDepth: number;
}

/**
 * The server a target should copy from, or undefined when every live one is
 * at its limit (or filling, and the target may not follow, or at the end of
 * a chain maxDepth long). A complete server first (a full-speed copy now),
 * then the nearest (rack, then zone), then the shortest chain, then the
 * least busy.
 */
export function pickServer<S extends SwarmServer>(
  target: Host,
  servers: Iterable<S>,
  { perServer, spreadBy, follow, maxDepth }: PickRules,
): S | undefined {
  let best: S | undefined;
  for (const s of servers) {
    if (s.dead || s.busy >= perServer) continue;
    if (s.filling && (!follow || s.depth + 1 > maxDepth)) continue;
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
