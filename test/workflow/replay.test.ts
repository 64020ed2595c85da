// Replays recorded workflow histories against today's workflow code: a
// change that would break a running deploy (non-determinism) fails here
// instead of in production. Two kinds of recordings:
// - histories/<build>/: what a build of phased wrote for each way a deploy
//   ends, a rollback and a cluster queue (test/workflow/record-histories.ts),
//   holding the patch markers that build wrote;
// - histories/*.json: deploys recorded before those, the oldest code paths.
// docs/patches.md says when a recording, and the patch branches only it
// exercises, may be retired.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { declaredPatches, patchMarkers } from '../helpers/patch-markers.js';

const root = path.join(projectRoot, 'test/workflow/histories');
const builds = readdirSync(root).filter((f) => statSync(path.join(root, f)).isDirectory());
const files = [
  ...readdirSync(root).filter((f) => f.endsWith('.json')),
  ...builds.flatMap((b) =>
    readdirSync(path.join(root, b))
      .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
      .map((f) => path.join(b, f)),
  ),
].sort();

const load = (file: string) =>
  proto.temporal.api.history.v1.History.fromObject(
    JSON.parse(readFileSync(path.join(root, file), 'utf8')) as object,
  );

/**
 * The id a history was recorded under (a replay runs under it: the workflow
 * code compares it with the queue's holder): from the build's
 * workflow-ids.json; the oldest recordings were all 'deploy-replay-v2'.
 */
function workflowIdOf(file: string): string {
  const build = path.dirname(file);
  if (build === '.') return 'deploy-replay-v2';
  const ids = JSON.parse(
    readFileSync(path.join(root, build, 'workflow-ids.json'), 'utf8'),
  ) as Record<string, string>;
  const id = ids[path.basename(file)];
  if (!id) throw new Error(`${file}: not in ${build}/workflow-ids.json`);
  return id;
}

describe('replay', () => {
  it.each(files)('replays %s without non-determinism', async (file) => {
    const history = load(file);
    expect(history.events?.length).toBeGreaterThan(20);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      workflowIdOf(file),
    );
  });

  it('the newest recorded build holds every patch marker the workflow code declares', () => {
    // So every patched() branch that new deploys take is replayed too, not only the old ones.
    const newest = builds.sort(
      (a, b) => statSync(path.join(root, b)).mtimeMs - statSync(path.join(root, a)).mtimeMs,
    )[0];
    expect(newest).toBeDefined();
    const recorded = new Set<string>();
    for (const f of files.filter((f) => f.startsWith(`${newest}/`)))
      for (const id of patchMarkers(load(f))) recorded.add(id);
    expect([...declaredPatches()].filter((id) => !recorded.has(id))).toEqual([]);
    expect(recorded.size).toBeGreaterThanOrEqual(15);
  });
});
