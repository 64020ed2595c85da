// The notify activity: a webhook URL from the worker's environment (it is a
// secret, kept out of the history), and failures typed by whether a retry
// can help.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { clusterOver } from '../helpers/clusters.js';
import { createNotifyActivities } from '../../activities/notify.js';
import { parseClusterConfig } from '../../src/config/load.js';
import { inActivity } from '../helpers/activity.js';

async function receiver(status: number) {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, bodies };
}

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the notification to fail');
    },
    (err: unknown) => err as ApplicationFailure,
  );

/** A worker holding a cluster file that names these webhooks. */
const webhooks = (notify: Record<string, string>[]) =>
  clusterOver([{ name: 'web-1', root: '/srv/web-1' }], { notify });

describe('the notify activity', () => {
  it('posts Slack-compatible JSON to the URL held in the named environment variable', async () => {
    const r = await receiver(200);
    const { store, ref } = webhooks([{ urlEnv: 'SLACK_DEPLOYS' }]);
    const { notify } = createNotifyActivities({
      env: { SLACK_DEPLOYS: r.url },
      clusters: store,
    });
    await inActivity(new MockActivityEnvironment(), () =>
      notify({
        ref,
        index: 0,
        text: 'phased: web <- v2: live',
        phased: { a: 1 },
      }),
    );
    expect(r.bodies).toEqual([{ text: 'phased: web <- v2: live', phased: { a: 1 } }]);
  });

  it("links a deploy's notice to its page in the Temporal UI the worker names (PHASED_UI_URL)", async () => {
    const r = await receiver(200);
    const { store, ref } = webhooks([{ url: r.url }]);
    const { notify } = createNotifyActivities({
      env: { PHASED_UI_URL: 'https://temporal.example.com/', TEMPORAL_NAMESPACE: 'deploys' },
      clusters: store,
    });
    await inActivity(new MockActivityEnvironment(), () =>
      notify({
        ref,
        index: 0,
        text: 'phased: web <- v2: PAUSED',
        phased: { workflowId: 'deploy-web-v2' },
      }),
    );
    const link = 'https://temporal.example.com/namespaces/deploys/workflows/deploy-web-v2';
    expect(r.bodies).toEqual([
      {
        text: `phased: web <- v2: PAUSED\nTemporal UI: ${link}`,
        phased: { workflowId: 'deploy-web-v2', ui: link },
      },
    ]);
  });

  it('fails for good without the variable, and retryably when the receiver errs', async () => {
    const r = await receiver(502);
    const { store, ref } = webhooks([{ urlEnv: 'SLACK_DEPLOYS' }, { url: r.url }]);
    const { notify } = createNotifyActivities({ env: {}, clusters: store });
    const missing = await failureOf(
      inActivity(new MockActivityEnvironment(), () =>
        notify({ ref, index: 0, text: 't', phased: {} }),
      ),
    );
    expect(missing).toMatchObject({ type: 'NOTIFY_FAILED', nonRetryable: true });
    expect(missing.message).toContain('the worker has no such environment variable');
    const erring = await failureOf(
      inActivity(new MockActivityEnvironment(), () =>
        notify({ ref, index: 1, text: 't', phased: {} }),
      ),
    );
    expect(erring).toMatchObject({ type: 'NOTIFY_FAILED', nonRetryable: false });
    expect(erring.message).toContain('answered HTTP 502');
  });

  it('is configured with exactly one of url and urlEnv', () => {
    const base = { cluster: 'web', hosts: [{ name: 'web-1', root: '/srv/web' }] };
    expect(parseClusterConfig({ ...base, notify: [{ urlEnv: 'SLACK_DEPLOYS' }] }).notify).toEqual([
      { urlEnv: 'SLACK_DEPLOYS' },
    ]);
    for (const bad of [
      {},
      { url: 'http://x/', urlEnv: 'X' },
      { url: 'ftp://x/' },
      { urlEnv: 'lower' },
    ])
      expect(() => parseClusterConfig({ ...base, notify: [bad] })).toThrow(/notify\[0\]/);
  });
});
