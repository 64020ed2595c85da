// Steady traffic to every demo host, with a record of every response: which
// host, when, the status, and which release answered (from the response
// header). The record is how the demo and its test see a deploy from the
// client's side.
import http from 'node:http';
import { RELEASE_HEADER } from './app-server.js';

export interface Response {
  host: string;
  /** When the request was sent (ms since epoch). */
  at: number;
  /** HTTP status, or 0 when no response came (refused, reset, timed out). */
  status: number;
  /** The release that answered, when one did. */
  release: string | null;
  error?: string;
}

export interface Traffic {
  record: Response[];
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

export function startTraffic(
  targets: { name: string; url: string }[],
  ratePerHost: number,
): Traffic {
  const record: Response[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const inFlight = new Set<Promise<void>>();

  const send = (host: string, url: string) => {
    const at = Date.now();
    const done = new Promise<void>((resolve) => {
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const release = res.headers[RELEASE_HEADER];
          record.push({
            host,
            at,
            status: res.statusCode ?? 0,
            release: typeof release === 'string' ? release : null,
          });
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => {
        record.push({ host, at, status: 0, release: null, error: err.message });
        resolve();
      });
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  const timers = targets.map((t, i) => {
    let n = 0;
    // Hosts start a little apart so their requests do not all land together.
    return setTimeout(
      () => {
        send(t.name, `${t.url}/?n=${n++}`);
        timers[i] = setInterval(() => send(t.name, `${t.url}/?n=${n++}`), 1000 / ratePerHost);
      },
      (i * 1000) / ratePerHost / targets.length,
    );
  });

  return {
    record,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(inFlight);
      agent.destroy();
    },
  };
}
