// Drift: hosts not on the release the cluster's history says is live. A
// deploy terminated from the Temporal UI (no compensation runs), or a worker
// that lost its state, can leave some hosts on a canary release with nothing
// recording it; `phased status` compares what the hosts run with the newest
// deploy or rollback that ended done, and says how to repair the difference.
// Pure: the caller brings the hosts' releases and the recorded history.

/** A deploy or rollback of the cluster as Temporal's visibility store lists it (newest first). */
export interface RecordedRun {
  workflowId: string;
  type: string;
  status: string;
  /** The deploy's revision; a rollback's targets, comma-separated. */
  revision: string | undefined;
  outcome: string | undefined;
}

export interface FleetDrift {
  /** The release the history says is live, and the run that made it so; null when none is recorded. */
  recorded: { revision: string; workflowId: string } | null;
  /** Releases the hosts run, with their hosts (most hosts first). */
  releases: { revision: string | null; hosts: string[] }[];
  /** Hosts not on the recorded release (or, with none recorded, not on the fleet's most common one). */
  off: { host: string; current: string | null }[];
  /** The newest run, when it ended with no outcome of its own (terminated, timed out). */
  unfinished: { workflowId: string; status: string } | null;
  unreachable: { host: string; error: string }[];
}

export function fleetDrift(
  hosts: readonly { host: string; current: string | null }[],
  history: readonly RecordedRun[],
  unreachable: readonly { host: string; error: string }[] = [],
): FleetDrift {
  const closed = history.filter((r) => r.status !== 'RUNNING');
  const done = closed.find((r) => r.outcome === 'done' && r.revision && !r.revision.includes(','));
  const recorded = done ? { revision: done.revision!, workflowId: done.workflowId } : null;
  const newest = closed[0];
  const unfinished =
    newest && newest.outcome === undefined
      ? { workflowId: newest.workflowId, status: newest.status }
      : null;
  const by = new Map<string | null, string[]>();
  for (const h of hosts) by.set(h.current, [...(by.get(h.current) ?? []), h.host]);
  const releases = [...by]
    .map(([revision, names]) => ({ revision, hosts: names }))
    .sort((a, b) => b.hosts.length - a.hosts.length);
  const expected = recorded?.revision ?? releases[0]?.revision ?? null;
  const off = hosts
    .filter((h) => h.current !== expected)
    .map(({ host, current }) => ({ host, current }));
  return { recorded, releases, off, unfinished, unreachable: [...unreachable] };
}

const list = (hosts: string[], max = 8) =>
  hosts.length <= max
    ? hosts.join(', ')
    : `${hosts.slice(0, max).join(', ')} and ${hosts.length - max} more`;

/** What status prints about the fleet: one line when it agrees, the drift and its fix when not. */
export function driftLines(cluster: string, d: FleetDrift): string[] {
  const lines: string[] = [];
  const total = d.releases.reduce((n, r) => n + r.hosts.length, 0);
  const on = d.releases
    .map(
      (r) =>
        `${r.revision ?? '(no release)'} (${r.hosts.length === 1 ? r.hosts[0] : `${r.hosts.length} hosts`})`,
    )
    .join(', ');
  const record = d.recorded
    ? `the recorded live release ${d.recorded.revision} (${d.recorded.workflowId})`
    : 'no deploy or rollback of this cluster is recorded as done';
  if (d.off.length === 0) {
    lines.push(
      `fleet: all ${total} hosts on ${d.releases[0]?.revision ?? '(no release)'}, ${record}`,
    );
  } else {
    const target = d.recorded?.revision ?? d.releases[0]?.revision ?? null;
    lines.push(
      `DRIFT: ${d.off.length} of ${total} hosts not on ${d.recorded ? record : `the fleet's most common release ${target} (${record})`}: ${list(d.off.map((o) => `${o.host} on ${o.current ?? '(no release)'}`))}; the fleet runs ${on}`,
    );
    if (d.unfinished)
      lines.push(
        `  the newest run, ${d.unfinished.workflowId}, ended ${d.unfinished.status} without an outcome: nothing put its hosts back`,
      );
    if (target)
      lines.push(
        `  fix: phased rollback ${cluster} --to ${target} --reason '...' (every host back on ${target}), or deploy the release you want live again`,
      );
  }
  if (d.unreachable.length > 0)
    lines.push(
      `  could not inspect ${list(d.unreachable.map((u) => u.host))}: ${d.unreachable[0]!.error}`,
    );
  return lines;
}
