// A switched host counts as switched only once its health check passes:
// an HTTP(S) GET from the worker, or a command on the host. Tried with a
// growing pause until the deadline; a host that never answers well is a
// failed switch, with the last answer as the reason.
import { setTimeout as delay } from 'node:timers/promises';
import { PhasedError, rootCause } from '../errors.js';
import type { HealthRun, HealthSpec, Host } from '../core/vocabulary.js';
import { hostUrl } from '../transport/host-url.js';
import type { HostTransport } from '../transport/types.js';
import { commandHealthy, type HookContext } from './hooks.js';

/** Longest pause between two attempts. */
const MAX_INTERVAL_MS = 5_000;

async function httpHealthy(
  host: Host,
  http: NonNullable<HealthSpec['http']>,
  revision: string,
  timeoutMs: number,
): Promise<{ ok: boolean; said: string }> {
  const url = hostUrl(host, http);
  // "{revision}" in the expected text: the host must answer from the release it was switched to.
  const want = http.body?.replaceAll('{revision}', revision);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    const [low, high] = http.status;
    if (response.status < low || response.status > high)
      return { ok: false, said: `${url} answered HTTP ${response.status}` };
    if (want !== undefined && !body.includes(want))
      return {
        ok: false,
        said: `${url} answered HTTP ${response.status} without ${JSON.stringify(want)}`,
      };
    return { ok: true, said: `HTTP ${response.status}` };
  } catch (cause) {
    return { ok: false, said: `${url}: ${rootCause(cause)}` };
  }
}

/** Waits until the host answers its health check; throws HEALTH_CHECK_FAILED at the deadline. */
export async function waitHealthy(
  t: HostTransport,
  host: Host,
  spec: HealthSpec,
  ctx: HookContext,
): Promise<HealthRun> {
  const started = Date.now();
  const deadline = started + spec.deadlineMs;
  let pause = spec.intervalMs;
  let answered: string | undefined;
  for (let attempts = 1; ; attempts++) {
    const left = Math.max(1, deadline - Date.now());
    const timeoutMs = Math.min(spec.timeoutMs, left);
    const r = spec.http
      ? await httpHealthy(host, spec.http, ctx.revision, timeoutMs)
      : await commandHealthy(t, host, spec.command!, ctx, timeoutMs);
    if (r.ok) return { attempts, ms: Date.now() - started, last: r.said };
    // An attempt the deadline cut short says less than the one before it
    // (an app answering "exit 1" is not an app that does not answer).
    const said = timeoutMs < spec.timeoutMs && answered !== undefined ? answered : r.said;
    answered = said;
    if (Date.now() + pause >= deadline)
      throw new PhasedError({
        code: 'HEALTH_CHECK_FAILED',
        problem: `${host.name}: not healthy within ${spec.deadlineMs / 1000}s on ${ctx.revision} (${attempts} checks; the last: ${said})`,
        fix: `look at the app on ${host.name} (its logs, whether it started), or give it a longer health deadline in the cluster file`,
        retryable: false,
      });
    await delay(pause);
    pause = Math.min(MAX_INTERVAL_MS, pause * 1.5);
  }
}
