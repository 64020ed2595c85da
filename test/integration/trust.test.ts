// What a worker trusts, in whole deploys on local hosts (real worker, real
// Temporal, real files): no secret the worker reads reaches the history even
// when hooks print their environment and the token files; a source rewritten
// while it stages never goes live as different trees; a root belongs to the
// cluster that claimed it first.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { outcomeOf } from '../../src/app/client.js';
import { manifestLines } from '../../src/releases/manifest.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { withDeployer } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { historyText, uniqueId } from '../helpers/temporal.js';
import { testDir } from '../helpers/tmp.js';

/** A webhook receiver on loopback that counts what it was sent. */
async function receiver(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

/** Sets a variable of this process (the test's worker runs in it) until the test ends. */
function workerEnv(name: string, value: string) {
  process.env[name] = value;
  onTestFinished(() => void delete process.env[name]);
}

describe('no secret the worker reads reaches the history', () => {
  it('hooks that print their environment and cat the token files leave only [redacted] in every event', async () => {
    const secrets = {
      envToken: `env-token-${uniqueId('s')}`,
      fileToken: `file-token-${uniqueId('s')}`,
      headerToken: `header-token-${uniqueId('s')}`,
      unlisted: `unlisted-${uniqueId('s')}`,
    };
    const dir = await testDir();
    const tokenFile = path.join(dir, 'prom-token');
    writeFileSync(tokenFile, `${secrets.fileToken}\n`);
    const hook = await receiver();
    const webhookPath = `/hooks/${uniqueId('T')}`;
    workerEnv('PHASED_TEST_PROM_TOKEN', secrets.envToken);
    workerEnv('PHASED_TEST_ORG', secrets.headerToken);
    workerEnv('PHASED_TEST_WEBHOOK', `${hook.url}${webhookPath}`);
    // In the worker's environment, named by no configuration: hooks must not see it.
    workerEnv('PHASED_TEST_UNLISTED', secrets.unlisted);
    const leak = `env; cat ${tokenFile}; echo "env token: $PHASED_TEST_PROM_TOKEN"`;
    const fleet = await createLocalFleet(uniqueId('secrets'), 4, {
      metricsSource: {
        type: 'prometheus',
        url: 'http://127.0.0.1:9/',
        bearerTokenFile: tokenFile,
        headers: {
          'X-Scope-OrgID': { env: 'PHASED_TEST_ORG' },
          'X-Api-Key': { env: 'PHASED_TEST_PROM_TOKEN' },
        },
      },
      notify: [{ urlEnv: 'PHASED_TEST_WEBHOOK' }],
      hookEnv: { APP_ENV: 'production' },
      hooks: {
        afterStage: { run: leak, timeout: '10s' },
        afterSwitch: { run: leak, timeout: '10s' },
        // A failing hook's output goes into the failure message too.
        beforePrune: { run: `${leak}; exit 1`, timeout: '10s' },
      },
      retention: { keep: 2 },
    });
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    await preinstall(fleet, 'v2', fleet.release('v2', 0.01));
    fleet.startTraffic();
    const history = await withDeployer(async (d) => {
      const h = await d.start(fleet, 'v3', 0.01);
      expect((await outcomeOf(h)).outcome).toBe('done');
      return historyText(await h.fetchHistory());
    });
    // The hooks ran and printed, and what they printed is in the history...
    expect(history).toContain('PHASED_HOOK=afterStage');
    expect(history).toContain('APP_ENV=production');
    // The worker's variables are not in a hook's environment; the token file it read is blanked.
    expect(history).toMatch(/env token: *\n|env token: *"/);
    expect(history).not.toContain('OLDPWD=/');
    expect(history).toContain('[redacted]');
    expect(history).toContain('hook beforePrune');
    // ...but not one secret, nor the worker's own environment.
    for (const [what, secret] of Object.entries(secrets))
      expect(history.includes(secret), what).toBe(false);
    expect(history).not.toContain(webhookPath);
    expect(history).not.toContain('TEMPORAL_ADDRESS=');
    expect(hook.hits()).toBeGreaterThanOrEqual(2);
  });
});

describe('what goes live is what was hashed', () => {
  it('a source rewritten every few milliseconds while it stages: SOURCE_CHANGED, and nothing switches', async () => {
    const fleet = await createLocalFleet(uniqueId('rewrite'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    const source = fleet.release('v2', 0.01);
    for (let i = 0; i < 200; i++) writeFileSync(path.join(source, `asset-${i}.js`), `// ${i}\n`);
    // A second job writing into the same directory, as fast as it can.
    const writer = spawn(
      'sh',
      [
        '-c',
        'n=0; while :; do n=$((n+1)); for i in 1 2 3 4 5 6 7 8; do echo "build $n" > "$1/asset-$i.js"; done; done',
        'writer',
        source,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    onTestFinished(async () => {
      writer.kill('SIGKILL');
      await exited;
    });
    const outcome = await withDeployer((d) => d.deploy(fleet, 'v2', 0.01));
    writer.kill('SIGKILL');
    await exited;
    expect(outcome.outcome).toBe('failed');
    expect(outcome.summary).toContain('[SOURCE_CHANGED]');
    expect(outcome.summary).toContain(
      `the release source ${source} changed while phased copied it`,
    );
    expect(outcome.summary).toContain('no host was switched');
    expect(Object.values(fleet.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
    for (const root of Object.values(fleet.roots))
      expect(readdirSync(path.join(root, 'releases'))).not.toContain('.v2.phased');
  });

  it('a source that stops changing stages one tree everywhere: every host matches the manifest', async () => {
    const fleet = await createLocalFleet(uniqueId('steady'), 4);
    await preinstall(fleet, 'v1', fleet.release('v1', 0.01));
    fleet.startTraffic();
    const source = fleet.release('v2', 0.01);
    for (let i = 0; i < 50; i++) writeFileSync(path.join(source, `asset-${i}.js`), `// ${i}\n`);
    const outcome = await withDeployer((d) => d.deploy(fleet, 'v2', 0.01));
    expect(outcome.outcome).toBe('done');
    const built = await treeChecksum(source);
    for (const root of Object.values(fleet.roots)) {
      const staged = await treeChecksum(path.join(root, 'releases/v2'));
      expect(staged.checksum).toBe(built.checksum);
      const marker = readFileSync(path.join(root, 'releases/.v2.phased'), 'utf8').split(' ');
      expect(marker[1]).toBe(built.checksum);
      const manifest = readFileSync(path.join(root, 'releases/.v2.manifest'), 'utf8');
      expect(manifest.trim().split('\n').sort()).toEqual(manifestLines(built.manifest!).sort());
    }
  });
});

describe('a root belongs to one cluster', () => {
  it("the first deploy claims the roots; another cluster's deploy to them is refused before any copy", async () => {
    const a = await createLocalFleet(uniqueId('owner'), 4);
    await preinstall(a, 'v1', a.release('v1', 0.01));
    a.startTraffic();
    // A second cluster file naming the same roots (a copy-paste, a typo).
    const b = { ...a.configDoc, cluster: uniqueId('intruder') };
    await withDeployer(async (d) => {
      expect((await d.deploy(a, 'good-2', 0.01)).outcome).toBe('done');
      const intruder = await d.deploy(a, 'other', 0.01, b);
      expect(intruder.outcome).toBe('failed');
      expect(intruder.summary).toContain('[ROOT_CLAIMED]');
      expect(intruder.summary).toContain(
        `web-1: the deploy root ${a.roots['web-1']} belongs to cluster ${a.config.cluster}, not ${String(b.cluster)}`,
      );
      expect(intruder.summary).toContain('no host was switched');
      // The owner's rollback still works, and nothing of the intruder's is on any host.
      const back = await d.rollback(a);
      expect(back.outcome).toBe('done');
    });
    expect(Object.values(a.currents())).toEqual(['v1', 'v1', 'v1', 'v1']);
    for (const root of Object.values(a.roots)) {
      expect(readFileSync(path.join(root, '.phased-cluster'), 'utf8')).toBe(
        `${a.config.cluster}\n`,
      );
      expect(readdirSync(path.join(root, 'releases'))).not.toContain('other');
    }
  });

  it('two clusters deploying to the same roots at once: each root is claimed once, and no host runs the loser', async () => {
    const a = await createLocalFleet(uniqueId('left'), 4);
    await preinstall(a, 'v1', a.release('v1', 0.01));
    a.startTraffic();
    const b = { ...a.configDoc, cluster: uniqueId('right') };
    const outcomes = await withDeployer(async (d) => {
      const left = await d.start(a, 'left-2', 0.01);
      const right = await d.start(a, 'right-2', 0.01, b);
      return Promise.all([outcomeOf(left), outcomeOf(right)]);
    });
    const owners = Object.values(a.roots).map((r) =>
      readFileSync(path.join(r, '.phased-cluster'), 'utf8').trim(),
    );
    const revisionOf = { [a.config.cluster]: 'left-2', [String(b.cluster)]: 'right-2' };
    // Both cannot have won: at most one is done, and a done deploy owns every root.
    expect(outcomes.filter((o) => o.outcome === 'done').length).toBeLessThanOrEqual(1);
    for (const o of outcomes) {
      if (o.outcome === 'done')
        expect(owners.every((w) => revisionOf[w] === o.revision)).toBe(true);
      else expect(o.summary).toContain('[ROOT_CLAIMED]');
    }
    const currents = Object.values(a.currents());
    currents.forEach((c, i) => expect(['v1', revisionOf[owners[i]!]]).toContain(c));
  });
});
