// A TCP relay in front of a real sshd that can make the host "die" at a
// chosen point: once any one connection has carried `cutAfterBytes` towards
// the host, every connection is cut and new ones are dropped until revive().
// Cutting on a byte count (not a timer) makes "dies mid-transfer" exact.
// It can also stall instead: past the byte count, every connection stays
// open and moves nothing, both ways, until revive() lets the held bytes on
// (a link that stopped moving data, then recovered).
import net from 'node:net';
import { freePort } from '../../src/app/temporal/ports.js';

export interface CutProxy {
  address: string;
  port: number;
  /** Bytes towards the host after which the host dies (Infinity: never). */
  cutAfter(bytes: number): void;
  /** Bytes towards the host after which no connection moves data until revive(). */
  stallAfter(bytes: number): void;
  /** Resolves once the link has stalled. */
  stalled: () => Promise<void>;
  /** Resolves once the host has died. */
  died: () => Promise<void>;
  revive(): void;
  close(): Promise<void>;
}

export async function startCutProxy(
  address: string,
  target: { address: string; port: number },
): Promise<CutProxy> {
  const port = await freePort(address);
  const sockets = new Set<net.Socket>();
  let limit = Infinity;
  let stallLimit = Infinity;
  let dead = false;
  /** While stalled: every socket is paused, and what it read waits here for revive(). */
  let held: (() => void)[] | null = null;
  let onStall: () => void = () => {};
  let stall = new Promise<void>((resolve) => (onStall = resolve));
  let onDeath: () => void = () => {};
  let death = new Promise<void>((resolve) => (onDeath = resolve));

  const die = () => {
    dead = true;
    for (const s of sockets) s.destroy();
    sockets.clear();
    onDeath();
  };

  const server = net.createServer((client) => {
    if (dead) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.address);
    sockets.add(client);
    sockets.add(upstream);
    let sent = 0;
    /** Forwards a chunk now, or holds it (and its reader) while the link is stalled. */
    const pass = (from: net.Socket, to: net.Socket, chunk: Buffer) => {
      if (held) {
        from.pause();
        held.push(() => {
          if (!to.write(chunk)) from.pause();
          else from.resume();
        });
        return;
      }
      if (!to.write(chunk)) from.pause();
    };
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent >= limit) {
        die();
        return;
      }
      if (sent >= stallLimit && !held) {
        held = [];
        for (const s of sockets) s.pause();
        onStall();
      }
      pass(client, upstream, chunk);
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => pass(upstream, client, chunk));
    client.on('drain', () => upstream.resume());
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, address, resolve));

  return {
    address,
    port,
    cutAfter(bytes) {
      limit = bytes;
    },
    stallAfter(bytes) {
      stallLimit = bytes;
    },
    died: () => death,
    stalled: () => stall,
    revive() {
      dead = false;
      limit = Infinity;
      stallLimit = Infinity;
      death = new Promise<void>((resolve) => (onDeath = resolve));
      const release = held ?? [];
      held = null;
      stall = new Promise<void>((resolve) => (onStall = resolve));
      for (const go of release) go();
      for (const s of sockets) s.resume();
    },
    async close() {
      die();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
