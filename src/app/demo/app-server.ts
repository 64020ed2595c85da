// One demo host's web server. Like a real app server it loads its release
// once, from the host's `current` symlink at start, and moves to the release
// `current` names only when told to reload (POST /-/reload, which the demo's
// afterSwitch and afterRollback hooks send); requests already running finish
// on the release they started with. /healthz answers from the loaded
// release. It writes an access log and an error log (what phased's log probes
// read) and exposes Prometheus counters (what its Prometheus probe scrapes).
import { ACCESS_LOG, accessLogLine } from './access-log.js';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** What a build of the sample app does, read from release.json in the release. */
export interface Behaviour {
  revision: string;
  /** Fraction of requests answered with 500 (spread evenly, not at random). */
  errorRate: number;
  /** Time each request takes. */
  latencyMs: number;
  /** Extra time every 10th request takes (a tail-only regression: the mean barely moves). */
  tailMs?: number;
  /**
   * 'fails': the build's web server does not come up. Once reloaded onto it,
   * the host answers nothing, metrics and health included (it resets every
   * connection), as a host whose server crashed on start would; only the
   * reload endpoint, standing for the service manager, still answers.
   */
  startup?: 'fails';
}

export interface AppServer {
  name: string;
  url: string;
  stop(): Promise<void>;
}

export const RELEASE_HEADER = 'x-phased-release';

/** Upper bounds (seconds) of the demo's latency histogram. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export async function startAppServer({
  name,
  address,
  port,
  root,
}: {
  name: string;
  address: string;
  port: number;
  root: string;
}): Promise<AppServer> {
  const logs = path.join(root, 'logs');
  mkdirSync(logs, { recursive: true });
  // Appending streams keep file I/O off the request path; lines stay in order.
  const accessLog = createWriteStream(path.join(root, ACCESS_LOG), { flags: 'a' });
  const errorLog = createWriteStream(path.join(logs, 'error.log'), { flags: 'a' });
  const behaviours = new Map<string, Behaviour>(); // by release directory: releases are immutable
  const served = new Map<string, number>();
  const totals = { requests: 0, errors: 0, durationMs: 0 };
  // Cumulative latency histogram, in seconds, as a Prometheus client keeps one.
  const buckets = DURATION_BUCKETS.map(() => 0);

  /** The release `current` names now, read from disk. */
  async function release(): Promise<{ dir: string; behaviour: Behaviour } | null> {
    let dir: string;
    try {
      dir = await realpath(path.join(root, 'current'));
    } catch {
      return null;
    }
    let behaviour = behaviours.get(dir);
    if (!behaviour) {
      behaviour = JSON.parse(await readFile(path.join(dir, 'release.json'), 'utf8')) as Behaviour;
      behaviours.set(dir, behaviour);
    }
    return { dir, behaviour };
  }

  /** The release this server runs: loaded at start and on each reload. */
  let loaded = await release();
  const reload = async () => {
    loaded = await release();
    return loaded;
  };

  function metrics(): string {
    return [
      '# TYPE demo_http_requests_total counter',
      `demo_http_requests_total ${totals.requests}`,
      '# TYPE demo_http_errors_total counter',
      `demo_http_errors_total ${totals.errors}`,
      '# TYPE demo_http_duration_ms_sum counter',
      `demo_http_duration_ms_sum ${totals.durationMs}`,
      '# TYPE demo_http_duration_seconds histogram',
      ...DURATION_BUCKETS.map(
        (le, i) => `demo_http_duration_seconds_bucket{le="${le}"} ${buckets[i]}`,
      ),
      `demo_http_duration_seconds_bucket{le="+Inf"} ${totals.requests}`,
      `demo_http_duration_seconds_sum ${totals.durationMs / 1000}`,
      `demo_http_duration_seconds_count ${totals.requests}`,
      '',
    ].join('\n');
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method === 'POST' && req.url === '/-/reload') {
        const now = await reload();
        res.writeHead(200).end(`reloaded ${now?.behaviour.revision ?? 'nothing'}\n`);
        return;
      }
      const live = loaded;
      if (live?.behaviour.startup === 'fails') {
        req.socket.destroy();
        return;
      }
      if (req.url === '/healthz') {
        res
          .writeHead(live ? 200 : 503)
          .end(live ? `ok ${live.behaviour.revision}\n` : 'no release loaded\n');
        return;
      }
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
        return;
      }
      const started = performance.now();
      if (!live) {
        res.writeHead(503).end('no release is live on this host\n');
        return;
      }
      const { dir, behaviour } = live;
      const n = served.get(dir) ?? 0;
      served.set(dir, n + 1);
      // The (n+1)th request fails when it crosses a multiple of 1/errorRate.
      const fail = Math.floor((n + 1) * behaviour.errorRate) > Math.floor(n * behaviour.errorRate);
      const slow = behaviour.tailMs !== undefined && (n + 1) % 10 === 0;
      await delay(behaviour.latencyMs + (slow ? behaviour.tailMs! : 0));
      const status = fail ? 500 : 200;
      const body = fail ? 'internal error\n' : await readFile(path.join(dir, 'index.html'));
      res.writeHead(status, { [RELEASE_HEADER]: behaviour.revision }).end(body);
      const ms = Math.round(performance.now() - started);
      totals.requests++;
      totals.durationMs += ms;
      DURATION_BUCKETS.forEach((le, i) => {
        if (ms / 1000 <= le) buckets[i]!++;
      });
      const now = new Date();
      const stamp = now.toISOString();
      accessLog.write(
        accessLogLine(
          now,
          { method: req.method ?? 'GET', url: req.url ?? '/' },
          status,
          ms,
          behaviour.revision,
        ),
      );
      if (fail) {
        totals.errors++;
        errorLog.write(
          `${stamp} ERROR ${behaviour.revision}: request ${req.url} failed (injected fault)\n`,
        );
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(503);
      res.end(`demo server error: ${String(err)}\n`);
    });
  });
  // Idle keep-alive connections stay open for the whole demo: a server that
  // closes one just as the client reuses it would show up as a reset.
  server.keepAliveTimeout = 10 * 60_000;
  server.headersTimeout = server.keepAliveTimeout + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return {
    name,
    url: `http://${address}:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.all(
        [accessLog, errorLog].map((log) => new Promise<void>((resolve) => log.end(resolve))),
      );
    },
  };
}
