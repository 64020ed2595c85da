// Fan-out staging inside one staging activity. The batch's seeds are staged
// by the worker first (ahead of every other host in the queue). A host serves
// the release from the moment its copy begins: a target may follow a server
// that is still filling, copying each file as it lands there, so a chain of
// hosts receives the release at about the pace of one copy. A host that needs
// a copy takes a free server (a complete one first, then the nearest, then
// the fewest hops from the worker) and waits for one while any copy is under
// way; when none is left (every seed failed) the worker copies to it. A
// serving host whose staging or copy failed serves no more. Every daemon
// stops when the batch ends.
import type { Host } from '../src/core/vocabulary.js';
import type { FanOutPlan } from '../src/releases/fan-out-plan.js';
import type { RelayLease, SwarmMember } from '../src/releases/ops.js';
import { serveRelease, type ServingSeed } from '../src/releases/relay.js';
import { maxServers, pickServer, type SwarmServer } from '../src/releases/swarm.js';
import type { HostTransport } from '../src/transport/types.js';
import { finishedHosts } from './batch.js';

export interface Seeding {
  /** Hosts in the order to stage them: every seed first. */
  order: Host[];
  /** Runs a host's staging as a member of the swarm. */
  stage<R>(host: Host, step: (member: SwarmMember) => Promise<R>): Promise<R>;
  /** Stops every serving host's daemon. */
  stop(): Promise<void>;
}

interface Server extends SwarmServer {
  serving?: Promise<ServingSeed | null>;
  /** Settles once the host has every file (true) or its staging failed (false). */
  filled: Promise<boolean>;
  settle(ok: boolean): void;
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
  // Each serving host holds one of the transport's connections.
  const serverLimit = t.maxConnections === undefined ? Infinity : maxServers(t.maxConnections);
  let pendingSeeds = plan.seeds.length;
  const settled = new Set<string>();
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const live = () => [...servers.values()].filter((s) => !s.dead);

  /** Adds a host that is receiving the release (or holds it: filling false). */
  const serves = (host: Host, depth: number, filling: boolean) => {
    if (servers.has(host.name) || live().length >= serverLimit) return;
    let settle!: (ok: boolean) => void;
    const filled = new Promise<boolean>((resolve) => (settle = resolve));
    const s: Server = { host, busy: 0, dead: false, filling, depth, filled, settle };
    if (!filling) settle(true);
    void filled.then((ok) => {
      s.filling = false;
      if (!ok) retire(s);
      wake();
    });
    servers.set(host.name, s);
    wake();
  };
  /** A server that failed serves no more: its daemon stops now, freeing its connection. */
  const retire = (s: Server) => {
    if (s.dead) return;
    s.dead = true;
    void s.serving?.then((x) => x?.stop()).catch(() => undefined);
  };

  // Hosts an earlier attempt of this activity staged hold the release already.
  const finished = finishedHosts();
  for (const h of hosts)
    if (finished.has(h.name)) {
      serves(h, 0, false);
      if (seedNames.has(h.name)) {
        settled.add(h.name);
        pendingSeeds--;
      }
    }

  async function lease(
    target: Host,
    follow: boolean,
  ): Promise<{ lease: RelayLease; depth: number } | undefined> {
    for (;;) {
      const s = pickServer(target, servers.values(), {
        perServer: plan.perSeed,
        spreadBy,
        follow,
        maxDepth: plan.followDepth,
      });
      if (s) {
        s.busy++;
        s.serving ??= serveRelease(t, s.host, revision, {
          maxConnections: plan.perSeed,
          ...(bwLimitKiB ? { bwLimitKiB } : {}),
        }).catch(() => null);
        const serving = await s.serving;
        if (!serving || s.dead) {
          retire(s);
          s.busy--;
          continue;
        }
        return {
          depth: s.filling ? s.depth + 1 : 0,
          lease: {
            source: serving.source,
            ...(s.filling ? { filled: s.filled } : {}),
            done(pulled) {
              s.busy--;
              if (!pulled) retire(s);
              wake();
            },
          },
        };
      }
      // Nothing serves and nothing will: the worker copies.
      const busy = live().some((x) => x.busy > 0);
      if (!busy && pendingSeeds === 0) return undefined;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  return {
    order: [...plan.seeds, ...hosts.filter((h) => !seedNames.has(h.name))],
    async stage(host, step) {
      const seed = seedNames.has(host.name);
      let depth = 0;
      try {
        const r = await step({
          ...(seed
            ? {}
            : {
                lease: async ({ follow }) => {
                  const got = await lease(host, follow);
                  depth = got?.depth ?? 0;
                  return got?.lease;
                },
              }),
          copying: () => serves(host, depth, true),
          filled: () => servers.get(host.name)?.settle(true),
        });
        servers.get(host.name)?.settle(true);
        serves(host, depth, false);
        return r;
      } catch (err) {
        const s = servers.get(host.name);
        if (s) {
          s.settle(false);
          retire(s);
        }
        throw err;
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
      for (const s of servers.values()) s.settle(false);
      wake();
      const all = await Promise.all(
        [...servers.values()].flatMap((s) => (s.serving ? [s.serving] : [])),
      );
      await Promise.all(all.flatMap((s) => (s ? [s.stop()] : [])));
    },
  };
}
