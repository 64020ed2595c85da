// Fan-out staging inside one staging activity. The batch's seeds are staged
// by the worker first (ahead of every other host in the queue); from then on
// every host that holds the checked release serves it, so the hosts able to
// serve about double with each round of copies, as in a swarm. A host that
// needs a copy takes a free serving host, preferring one in its own rack or
// zone, and waits for one while any copy is under way; when none is left
// (every seed failed) the worker copies to it. A serving host whose copy
// failed serves no more. Every daemon stops when the batch ends.
import type { Host } from '../src/core/vocabulary.js';
import type { FanOutPlan } from '../src/releases/fan-out-plan.js';
import type { RelayLease } from '../src/releases/ops.js';
import { serveRelease, type ServingSeed } from '../src/releases/relay.js';
import type { HostTransport } from '../src/transport/types.js';
import { finishedHosts } from './batch.js';

export interface Seeding {
  /** Hosts in the order to stage them: every seed first. */
  order: Host[];
  /** Runs a host's staging; the host serves once it holds the release. */
  stage<R>(
    host: Host,
    step: (relay?: () => Promise<RelayLease | undefined>) => Promise<R>,
  ): Promise<R>;
  /** Stops every serving host's daemon. */
  stop(): Promise<void>;
}

interface Server {
  host: Host;
  serving?: Promise<ServingSeed | null>;
  busy: number;
  dead: boolean;
}

export function seeding(
  t: HostTransport,
  hosts: readonly Host[],
  plan: FanOutPlan,
  revision: string,
  spreadBy: readonly string[],
  bwLimitKiB: number | undefined,
): Seeding {
  const seedNames = new Set(plan.seeds.map((s) => s.name));
  const servers = new Map<string, Server>();
  let pendingSeeds = plan.seeds.length;
  const settled = new Set<string>();
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const serves = (host: Host) => {
    if (!servers.has(host.name)) servers.set(host.name, { host, busy: 0, dead: false });
    wake();
  };
  // Hosts an earlier attempt of this activity staged hold the release already.
  const finished = finishedHosts();
  for (const h of hosts)
    if (finished.has(h.name)) {
      serves(h);
      if (seedNames.has(h.name)) {
        settled.add(h.name);
        pendingSeeds--;
      }
    }
  // Same rack counts most, then same zone (the later tags in spreadBy are the nearer).
  const nearness = (a: Host, b: Host) =>
    spreadBy.reduce(
      (n, tag, i) =>
        n + (a.tags?.[tag] !== undefined && a.tags[tag] === b.tags?.[tag] ? 1 << i : 0),
      0,
    );

  async function lease(target: Host): Promise<RelayLease | undefined> {
    for (;;) {
      const live = [...servers.values()].filter((s) => !s.dead);
      const free = live
        .filter((s) => s.busy < plan.perSeed)
        .sort(
          (a, b) =>
            nearness(target, b.host) - nearness(target, a.host) ||
            a.busy - b.busy ||
            a.host.name.localeCompare(b.host.name),
        );
      const s = free[0];
      if (s) {
        s.busy++;
        s.serving ??= serveRelease(t, s.host, revision, {
          maxConnections: plan.perSeed,
          ...(bwLimitKiB ? { bwLimitKiB } : {}),
        }).catch(() => null);
        const serving = await s.serving;
        if (!serving) {
          s.dead = true;
          s.busy--;
          continue;
        }
        return {
          source: serving.source,
          done(pulled) {
            s.busy--;
            if (!pulled) s.dead = true;
            wake();
          },
        };
      }
      // Nothing serves and nothing will: the worker copies.
      const busy = live.some((x) => x.busy > 0);
      if (!busy && pendingSeeds === 0) return undefined;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  return {
    order: [...plan.seeds, ...hosts.filter((h) => !seedNames.has(h.name))],
    async stage(host, step) {
      const seed = seedNames.has(host.name);
      try {
        const r = await step(seed ? undefined : () => lease(host));
        serves(host);
        return r;
      } finally {
        // A seed is settled by its first attempt: a retry that succeeds serves all the same.
        if (seed && !settled.has(host.name)) {
          settled.add(host.name);
          pendingSeeds--;
          wake();
        }
      }
    },
    async stop() {
      pendingSeeds = 0;
      wake();
      const all = await Promise.all(
        [...servers.values()].flatMap((s) => (s.serving ? [s.serving] : [])),
      );
      await Promise.all(all.flatMap((s) => (s ? [s.stop()] : [])));
    },
  };
}
