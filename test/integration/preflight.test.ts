// The preflight round trip on the real dev server with the real activities:
// client -> server -> worker -> activity -> back.
import type { preflight } from '../../workflows/preflight.js';
import { describe, expect, it } from 'vitest';
import { phasedSearchAttributes } from '../../workflows/search-attributes.js';
import { sharedClient, uniqueId, withWorker } from '../helpers/temporal.js';

describe('preflight on the embedded dev server', () => {
  it('runs a workflow whose activity reports the worker that ran it', async () => {
    const { client, close } = await sharedClient();
    try {
      const identity = uniqueId('worker');
      const result = await withWorker({ identity }, (taskQueue) =>
        client.workflow.execute<typeof preflight>('preflight', {
          taskQueue,
          workflowId: uniqueId('preflight'),
          args: [{ requestedBy: 'ci' }],
        }),
      );
      expect(result).toMatchObject({
        requestedBy: 'ci',
        heldMs: 0,
        worker: { identity, pid: process.pid, node: process.version },
      });
    } finally {
      await close();
    }
  });

  it("has phased's search attributes registered as Keyword", async () => {
    const { client, close } = await sharedClient();
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({
        namespace: client.options.namespace,
      });
      for (const key of phasedSearchAttributes) {
        // 2 = INDEXED_VALUE_TYPE_KEYWORD
        expect(customAttributes?.[key.name], key.name).toBe(2);
      }
    } finally {
      await close();
    }
  });
});
