// Fan-out staging inside one staging activity: the batch's seeds are staged
// by the worker first (ahead of every other host in the queue), each starts
// serving its release once staged, and every other host copies from its seed
// and is checked by the worker. A seed that fails to stage or to serve sends
// its hosts back to the worker; the daemons stop when the batch ends.
import type { Host } from '../src/core/vocabulary.js';
import type { FanOutPlan } from '../src/releases/fan-out-plan.js';
import { serveRelease, type RelaySource, type ServingSeed } from '../src/releases/relay.js';
import type { HostTransport } from '../src/transport/types.js';
import { finishedHosts } from './batch.js';

export interface Seeding {
  /** Hosts in the order to stage them: every seed first. */
  order: Host[];
  /** Runs a host's staging: a seed's marks it ready to serve, a target's waits for its seed. */
  stage<R>(
    host: Host,
    step: (relay?: () => Promise<RelaySource | undefined>) => Promise<R>,
  ): Promise<R>;
  /** Stops every seed's daemon. */
  stop(): Promise<void>;
}

export function seeding(
  t: HostTransport,
  hosts: readonly Host[],
  plan: FanOutPlan,
  revision: string,
  bwLimitKiB: number | undefined,
): Seeding {
  const finished = finishedHosts();
  const staged = new Map<string, { done: Promise<boolean>; settle: (ok: boolean) => void }>();
  for (const seed of plan.seeds) {
    let settle!: (ok: boolean) => void;
    const done = new Promise<boolean>((resolve) => (settle = resolve));
    // A seed an earlier attempt of this activity staged is ready now.
    if (finished.has(seed.name)) settle(true);
    staged.set(seed.name, { done, settle });
  }
  const serving = new Map<string, Promise<ServingSeed | null>>();
  const servingOf = (seed: Host) => {
    let s = serving.get(seed.name);
    if (!s) {
      s = staged
        .get(seed.name)!
        .done.then((ok) =>
          ok
            ? serveRelease(t, seed, revision, {
                maxConnections: plan.perSeed,
                ...(bwLimitKiB ? { bwLimitKiB } : {}),
              })
            : null,
        )
        // A seed that cannot serve sends its hosts to the worker.
        .catch(() => null);
      serving.set(seed.name, s);
    }
    return s;
  };
  const seeds = new Map(plan.seeds.map((s) => [s.name, s]));
  return {
    order: [...plan.seeds, ...hosts.filter((h) => !seeds.has(h.name))],
    async stage(host, step) {
      const own = staged.get(host.name);
      if (own) {
        try {
          const r = await step();
          own.settle(true);
          return r;
        } catch (err) {
          own.settle(false);
          throw err;
        }
      }
      const seedName = plan.seedOf.get(host.name);
      const seed = seedName === undefined ? undefined : seeds.get(seedName);
      // Asked for only by a host whose copy is worth relaying.
      return step(seed ? async () => (await servingOf(seed))?.source : undefined);
    },
    async stop() {
      for (const s of staged.values()) s.settle(false);
      const all = await Promise.all(serving.values());
      await Promise.all(all.flatMap((s) => (s ? [s.stop()] : [])));
    },
  };
}
