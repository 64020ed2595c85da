// The SSH transport's connection pool, on stand-in connections: never more
// than `max` open, idle ones closed least recently used first, and a caller
// with none idle waits for a release instead of opening one more.
import { describe, expect, it } from 'vitest';
import { BoundedPool } from '../../../src/transport/bounded-pool.js';

interface Conn {
  key: string;
  n: number;
}

function pool(max: number, fail: (key: string) => boolean = () => false) {
  const opened: string[] = [];
  const closed: string[] = [];
  let n = 0;
  const p = new BoundedPool<Conn>(
    max,
    (key) => {
      opened.push(key);
      return fail(key)
        ? Promise.reject(new Error(`no route to ${key}`))
        : Promise.resolve({ key, n: n++ });
    },
    (c) => closed.push(c.key),
  );
  return { p, opened, closed };
}

/** Resolves once every pending promise callback has run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('a bounded connection pool', () => {
  it('reuses a key connection, leased or not', async () => {
    const { p, opened } = pool(2);
    const a1 = await p.acquire('a');
    const a2 = await p.acquire('a');
    expect(a2.conn).toBe(a1.conn);
    a1.release();
    a2.release();
    expect((await p.acquire('a')).conn).toBe(a1.conn);
    expect(opened).toEqual(['a']);
  });

  it('closes the least recently used idle connection to open another', async () => {
    const { p, opened, closed } = pool(2);
    (await p.acquire('a')).release();
    (await p.acquire('b')).release();
    (await p.acquire('a')).release(); // b is now the least recently used
    await p.acquire('c');
    await settle();
    expect(opened).toEqual(['a', 'b', 'c']);
    expect(closed).toEqual(['b']);
    expect(p.stats()).toEqual({ open: 2, peak: 2, evicted: 1, waited: 0 });
  });

  it('makes a caller wait while every connection is leased, never opening one more', async () => {
    const { p, opened, closed } = pool(2);
    const a = await p.acquire('a');
    const b = await p.acquire('b');
    let got = false;
    const c = p.acquire('c').then((l) => ((got = true), l));
    await settle();
    expect(got).toBe(false);
    expect(opened).toEqual(['a', 'b']);
    b.release();
    b.release(); // twice is once
    const lease = await c;
    await settle();
    expect(lease.conn.key).toBe('c');
    expect(closed).toEqual(['b']);
    expect(p.stats()).toMatchObject({ open: 2, peak: 2, waited: 1 });
    a.release();
    lease.release();
  });

  it('a hundred callers over ten keys with room for three: all served, never more than three open', async () => {
    const { p } = pool(3);
    const done = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const lease = await p.acquire(`host-${i % 10}`);
        await settle();
        lease.release();
        return lease.conn.key;
      }),
    );
    expect(done).toHaveLength(100);
    expect(p.stats().peak).toBe(3);
  });

  it('a failed open leaves no connection behind and frees its room', async () => {
    const { p, opened } = pool(1, (key) => key === 'down');
    await expect(p.acquire('down')).rejects.toThrow('no route to down');
    expect(p.stats().open).toBe(0);
    (await p.acquire('up')).release();
    await expect(p.acquire('down')).rejects.toThrow('no route to down');
    expect(opened).toEqual(['down', 'up', 'down']);
  });

  it("a closed connection's late event does not drop the one that replaced it", async () => {
    const { p } = pool(2);
    const first = await p.acquire('a');
    first.release();
    p.drop('a'); // it closed
    const second = await p.acquire('a');
    expect(second.conn).not.toBe(first.conn);
    p.drop('a', first.conn); // the old connection's close event, late
    await settle();
    expect((await p.acquire('a')).conn).toBe(second.conn);
  });

  it('refuses a pool with no room', () => {
    expect(
      () =>
        new BoundedPool(
          0,
          () => Promise.resolve(1),
          () => undefined,
        ),
    ).toThrow('a connection pool needs room for at least one connection, not 0');
  });
});
