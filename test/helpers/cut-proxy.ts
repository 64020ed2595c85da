// A TCP relay in front of a real sshd that can make the host "die" at a
// chosen point: once any one connection has carried `cutAfterBytes` towards
// the host, every connection is cut and new ones are dropped until revive().
// Cutting on a byte count (not a timer) makes "dies mid-transfer" exact.
import net from 'node:net';
import { freePort } from '../../src/temporal/ports.js';

export interface CutProxy {
  address: string;
  port: number;
  /** Bytes towards the host after which the host dies (Infinity: never). */
  cutAfter(bytes: number): void;
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
  let dead = false;
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
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent >= limit) {
        die();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
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
    died: () => death,
    revive() {
      dead = false;
      limit = Infinity;
      death = new Promise<void>((resolve) => (onDeath = resolve));
    },
    async close() {
      die();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
