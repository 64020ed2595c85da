// Webhooks hear of a deploy's start and outcome (Slack-compatible JSON), from
// the real activity on a real worker, posting to a local HTTP receiver; a
// receiver that keeps failing is retried, then given up on, and the deploy
// goes on regardless.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { eventually } from '../../src/poll.js';
import { withDeployer } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { uniqueId } from '../helpers/temporal.js';

interface Received {
  text: string;
  phased: { event: string; outcome?: string; revision: string; verdicts?: unknown[] };
}

/** A webhook receiver on a free loopback port that answers `status`. */
async function receiver(status: number) {
  const got: Received[] = [];
  let hits = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits++;
      if (status < 300) got.push(JSON.parse(body) as Received);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, hits: () => hits };
}

describe('webhook notifications', () => {
  it("tell each webhook a deploy's start and outcome; a failing one never fails the deploy", async () => {
    const ok = await receiver(200);
    const down = await receiver(503);
    const fleet = await createLocalFleet(uniqueId('hooks'), 8, {
      durations: { baseline: '1s', soak: '2s', watch: '1s', lookEvery: '1s' },
    });
    const config = { ...fleet.configDoc, notify: [{ url: ok.url }, { url: down.url }] };
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    const outcome = await withDeployer((d) => d.deploy(fleet, 'bad', 0.2, config));
    expect(outcome.outcome).toBe('rolled_back');
    await eventually(() => Promise.resolve(ok.got.length === 2), { what: 'both notifications' });
    const [start, end] = ok.got;
    expect(start!.phased).toMatchObject({ event: 'start', revision: 'bad' });
    expect(start!.text).toMatch(/^phased: deploying bad to hooks-\w+ \(ci\)$/);
    expect(end!.phased).toMatchObject({ event: 'outcome', outcome: 'rolled_back' });
    expect(end!.phased.verdicts).toHaveLength(outcome.verdicts.length);
    expect(end!.text).toMatch(/^phased: hooks-\w+ <- bad: ROLLED BACK: canary regression/);
    expect(end!.text).toMatch(/\n {2}http_5xx: canary 20% vs control/);
    // The receiver that answered 503 was tried again (4 attempts per event).
    expect(down.hits()).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
