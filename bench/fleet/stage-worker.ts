// A second phased worker for bench/fleet: a separate process that stages its
// share of the hosts with the real stageHosts activity when told "go" on
// stdin, and prints how long that took as JSON.
//
//   tsx bench/fleet/stage-worker.ts '<json: { spec, hosts, revision, source }>'
import { createInterface } from 'node:readline';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities } from '../../activities/hosts.js';
import type { ClusterRef, Host } from '../../src/core/vocabulary.js';
import { ClusterStore } from '../../src/config/store.js';
import { closeTransports, installRuntime, realHostDeps } from '../../src/app/worker.js';

installRuntime('ERROR');
const job = JSON.parse(process.argv[2]!) as {
  clustersDir: string;
  ref: ClusterRef;
  hosts: Host[];
  revision: string;
  source: string;
};
const activities = createHostActivities(realHostDeps(new ClusterStore(job.clustersDir)));
const env = new MockActivityEnvironment();
console.log('ready');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== 'go') continue;
  const t0 = performance.now();
  const stage = () =>
    activities.stageHosts({
      ref: job.ref,
      hosts: job.hosts,
      revision: job.revision,
      source: job.source,
    });
  const staged = await env.run<[], Awaited<ReturnType<typeof stage>>, typeof stage>(stage);
  console.log(
    JSON.stringify({ seconds: (performance.now() - t0) / 1000, failed: staged.failed.length }),
  );
  break;
}
lines.close();
await closeTransports();
