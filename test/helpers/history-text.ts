// A workflow history as the text anyone who can read the namespace reads,
// apart from the Temporal helpers so a unit test can use it without loading
// the SDK's worker.
import type { Payload } from '@temporalio/common';
import { inflatePayload } from '../../src/app/temporal/codec.js';

/**
 * Everything a workflow history holds as text, payloads decoded: what an
 * operator (or anyone with read access to the namespace) can read of it.
 */
export function historyText(history: unknown): string {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'string') out.push(x);
      return;
    }
    if (x instanceof Uint8Array) {
      out.push(Buffer.from(x).toString('utf8'));
      return;
    }
    // A deflated payload is read as what it holds: a secret must not hide in it.
    if ('data' in x && 'metadata' in x) {
      const inflated = inflatePayload(x as Payload);
      if (inflated !== x) return walk(inflated);
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(history);
  return out.join('\n');
}
