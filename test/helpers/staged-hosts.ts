// Directories as hosts, live on v1 with v2 staged, through the real release
// scripts and a transport: the starting point of the switch tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Host } from '../../src/core/vocabulary.js';
import { treeChecksum } from '../../src/releases/checksum.js';
import { flipRelease, stageRelease } from '../../src/releases/ops.js';
import type { HostTransport } from '../../src/transport/types.js';
import { testDir } from './tmp.js';

export async function hostsOnV1WithV2Staged(
  t: HostTransport,
  names: readonly string[],
  address = '127.0.0.1',
): Promise<{ dir: string; hosts: Host[] }> {
  const dir = await testDir('phased-hosts-');
  const hosts = names.map((name) => ({ name, address, root: path.join(dir, name) }));
  for (const rev of ['v1', 'v2']) {
    const source = path.join(dir, 'build', rev);
    mkdirSync(source, { recursive: true });
    writeFileSync(path.join(source, 'index.html'), `${rev}\n`);
    const tree = await treeChecksum(source);
    for (const h of hosts) {
      mkdirSync(h.root, { recursive: true });
      await stageRelease(t, h, { revision: rev, source, tree });
      if (rev === 'v1') await flipRelease(t, h, rev);
    }
  }
  return { dir, hosts };
}
