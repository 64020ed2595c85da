// The patch ids a workflow history records (the markers patched() and
// deprecatePatch() write), and the ids today's workflow code declares.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { projectRoot } from '../../src/paths.js';

/** The ids of the patch markers in a history. */
export function patchMarkers(history: temporal.api.history.v1.IHistory): Set<string> {
  const ids = new Set<string>();
  for (const e of history.events ?? []) {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') continue;
    // The details' key is patch-data as the server sends it (patch_data in some SDKs' objects).
    const details = m.details as Record<string, { payloads?: { data?: unknown }[] }> | undefined;
    const data = (details?.['patch-data'] ?? details?.patch_data)?.payloads?.[0]?.data;
    if (!data) continue;
    const bytes =
      typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data as Uint8Array);
    const { id } = JSON.parse(bytes.toString('utf8')) as { id: string };
    ids.add(id);
  }
  return ids;
}

/** Every patch id the workflow code under workflows/ passes to patched() or deprecatePatch(). */
export function declaredPatches(): Set<string> {
  const ids = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.ts'))
        for (const m of readFileSync(file, 'utf8').matchAll(/_PATCH = '([^']+)'/g)) ids.add(m[1]!);
    }
  };
  walk(path.join(projectRoot, 'workflows'));
  return ids;
}
