// phased report: a deploy's canary report, written as one HTML file.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PhasedClient } from '../client.js';
import { chartAssets } from './assets.js';
import { fetchDeployRecord } from './fetch.js';
import { reportHtml } from './html.js';
import type { DeployRecord } from './record.js';

/** Writes the report of a deploy (by workflow id, or a cluster's newest) and returns where. */
export async function writeReport(
  pc: PhasedClient,
  target: string,
  out?: string,
): Promise<{ file: string; record: DeployRecord }> {
  const record = await fetchDeployRecord(pc, target);
  const file = path.resolve(out ?? `phased-report-${record.workflowId}.html`);
  writeFileSync(file, reportHtml(record, chartAssets(), Date.now()));
  return { file, record };
}
