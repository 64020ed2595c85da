// Run as a child process (so a test can give it its own `ulimit -n`): stages
// one release on every host of a fleet at once through one SSH transport,
// as a worker's concurrent batches would, then prints one JSON line: the
// hosts staged, the hosts that failed and why, and the transport's
// connection counts. Input: the path of a JSON file (StageFleetJob).
import { readFileSync } from 'node:fs';
import { treeChecksum } from '../../src/releases/checksum.js';
import { stageRelease } from '../../src/releases/ops.js';
import { SshTransport, type SshOptions } from '../../src/transport/ssh.js';
import type { Host } from '../../src/core/vocabulary.js';
import { describeCause } from '../../src/errors.js';

export interface StageFleetJob {
  options: SshOptions;
  hosts: Host[];
  source: string;
  revision: string;
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as StageFleetJob;
const t = new SshTransport(job.options);
const tree = await treeChecksum(job.source);
const results = await Promise.allSettled(
  job.hosts.map((h) => stageRelease(t, h, { revision: job.revision, source: job.source, tree })),
);
const stats = t.connectionStats();
await t.close();
console.log(
  JSON.stringify({
    staged: job.hosts.filter((_, i) => results[i]!.status === 'fulfilled').map((h) => h.name),
    failed: results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${job.hosts[i]!.name}: ${describeCause(r.reason)}`] : [],
    ),
    stats,
  }),
);
