// Connections by key (one per host), at most `max` open at once. A worker
// deploying to 10,000 hosts cannot keep a connection to each: each is a
// socket, and a process's file descriptors run out long before. A lease
// holds a key's connection while a command, a copy or a process uses it;
// opening one more than `max` first closes the least recently used idle
// one, and with none idle the caller waits its turn for a release.

export interface PoolStats {
  /** Connections open (or opening) now, and the most there ever were at once. */
  open: number;
  peak: number;
  /** Connections closed to make room, and acquisitions that had to wait. */
  evicted: number;
  waited: number;
}

export interface Lease<C> {
  conn: C;
  /** Gives the connection back; idempotent. */
  release: () => void;
}

interface Entry<C> {
  conn: Promise<C>;
  leases: number;
  lastUsed: number;
}

export class BoundedPool<C> {
  private readonly entries = new Map<string, Entry<C>>();
  private readonly waiting: (() => void)[] = [];
  private clock = 0;
  private readonly counts = { peak: 0, evicted: 0, waited: 0 };

  constructor(
    readonly max: number,
    private readonly open: (key: string) => Promise<C>,
    private readonly close: (conn: C) => void,
  ) {
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError(`a connection pool needs room for at least one connection, not ${max}`);
  }

  stats(): PoolStats {
    return { open: this.entries.size, ...this.counts };
  }

  /** The key's connection, opened if need be, held until the lease is released. */
  async acquire(key: string): Promise<Lease<C>> {
    for (let waited = false; ; waited = true) {
      const entry = this.entries.get(key) ?? this.makeRoom(key);
      if (entry) {
        entry.leases++;
        entry.lastUsed = ++this.clock;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          entry.leases--;
          entry.lastUsed = ++this.clock;
          this.wake();
        };
        try {
          return { conn: await entry.conn, release };
        } catch (err) {
          release();
          throw err;
        }
      }
      if (!waited) this.counts.waited++;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Forgets a key's connection (it closed or failed); the next acquire opens a new one. */
  drop(key: string, conn?: C): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    // A late close event of a connection already replaced must not drop its successor.
    if (conn !== undefined)
      void entry.conn.then(
        (c) => c === conn && this.entries.get(key) === entry && this.remove(key),
        () => undefined,
      );
    else this.remove(key);
  }

  /** Closes every connection. */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    const settled = await Promise.allSettled(all.map((e) => e.conn));
    for (const s of settled) if (s.status === 'fulfilled') this.close(s.value);
    this.wake(Infinity);
  }

  private remove(key: string) {
    this.entries.delete(key);
    this.wake();
  }

  /** A new entry for `key` when there is room or an idle connection to close for it. */
  private makeRoom(key: string): Entry<C> | undefined {
    if (this.entries.size >= this.max && !this.evictIdle()) return undefined;
    const entry: Entry<C> = { conn: this.open(key), leases: 0, lastUsed: ++this.clock };
    // A failed open leaves no entry behind: the next acquire tries afresh.
    entry.conn.catch(() => this.entries.get(key) === entry && this.remove(key));
    this.entries.set(key, entry);
    this.counts.peak = Math.max(this.counts.peak, this.entries.size);
    return entry;
  }

  private evictIdle(): boolean {
    let oldest: [string, Entry<C>] | undefined;
    for (const kv of this.entries)
      if (kv[1].leases === 0 && (!oldest || kv[1].lastUsed < oldest[1].lastUsed)) oldest = kv;
    if (!oldest) return false;
    this.entries.delete(oldest[0]);
    this.counts.evicted++;
    oldest[1].conn.then(this.close, () => undefined);
    return true;
  }

  private wake(n = 1) {
    for (let i = 0; i < n && this.waiting.length > 0; i++) this.waiting.shift()!();
  }
}
