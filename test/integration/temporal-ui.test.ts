// What an operator sees after a deploy rolled back: in the Temporal UI, the
// list says Failed (not a green Completed) and the deploy's page shows its
// outcome, revision and verdicts without opening an event; phased report
// rebuilds a canary report from the history whose charts draw every reading
// and whose verdict table has the judge's numbers. Real UI (the run's
// embedded server), real headless Chromium.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/app/report/index.js';
import type { MetricChart } from '../../src/app/report/charts.js';
import { testDir } from '../helpers/tmp.js';
import { outcomeOf } from '../../src/app/client.js';
import { eventually } from '../../src/poll.js';
import { newPage, openBrowser, rowText, waitForText } from '../helpers/browser.js';
import { withDeployer } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';

describe('the Temporal UI', () => {
  it('lists a rolled-back deploy as failed, shows its outcome and verdicts on its page, and its report charts every reading', async () => {
    const fleet = await createLocalFleet(uniqueId('ui'), 8, {
      durations: { baseline: '1s', soak: '3s', watch: '1s', lookEvery: '1s' },
    });
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    const reportFile = path.join(await testDir('phased-report-'), 'report.html');
    const { workflowId, runId, outcome, readings } = await withDeployer(async (d) => {
      const h = await d.start(fleet, 'bad', 0.2);
      const outcome = await outcomeOf(h);
      await writeReport(d.pc, h.workflowId, reportFile);
      return {
        workflowId: h.workflowId,
        runId: h.firstExecutionRunId,
        outcome,
        readings: await readingsInHistory(h),
      };
    });
    expect(outcome.outcome).toBe('rolled_back');
    const { uiUrl, namespace } = sharedServer();
    const browser = await openBrowser();
    const { page } = await newPage(browser);

    // The list, filtered to this deploy (the run's server holds other tests'
    // workflows); reloaded until visibility has it, as a person would.
    const query = encodeURIComponent(`WorkflowId="${workflowId}"`);
    const row = await eventually(
      async () => {
        await page.goto(`${uiUrl}/namespaces/${namespace}/workflows?query=${query}`, {
          waitUntil: 'networkidle2',
        });
        await waitForText(page, ['Workflow ID']);
        return (await rowText(page, workflowId)) || undefined;
      },
      { what: 'the deploy in the UI list', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(row).toMatch(/\bfailed\b/i);
    expect(row).not.toMatch(/completed/i);

    // The deploy's page: failed, with what rolled back and why, without opening an event.
    await page.goto(`${uiUrl}/namespaces/${namespace}/workflows/${workflowId}/${runId}/history`, {
      waitUntil: 'networkidle2',
    });
    // The result's text renders after the page's heading: wait for what is asserted.
    const text = await waitForText(page, [
      workflowId,
      'Result',
      `rolled_back: ${fleet.config.cluster} <- bad: canary regression`,
      `phased report ${workflowId}`,
    ]);
    expect(text).toContain('FAILED');
    expect(text).toContain(`rolled_back: ${fleet.config.cluster} <- bad: canary regression`);
    expect(text).toContain('canary look 1');
    expect(text).toMatch(/http_5xx: canary 20% vs control [\d.]+% \(x\d+ vs own baselines/);
    expect(text).toContain(`phased report ${workflowId}`);

    // The report, from a file, offline: every chart drew every reading it has.
    const report = await newPage(browser);
    await report.page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    await report.page.waitForSelector('body[data-charts-ready]', { timeout: 30_000 });
    const charts = await report.page.evaluate<[], () => ChartOnPage[]>(
      `[...document.querySelectorAll('figure.chart')].map((f) => ({
        metric: f.dataset.metric,
        drawn: JSON.parse(f.dataset.drawn ?? '{}'),
        data: JSON.parse(document.getElementById('phased-data').textContent).charts
          .find((c) => c.metric === f.dataset.metric),
      }))`,
    );
    expect(report.errors).toEqual([]);
    expect(charts.map((c) => c.metric).sort()).toEqual(['http_5xx', 'http_requests']);
    for (const c of charts) {
      expect(c.data.t).toHaveLength(readings);
      const points = (xs: (number | null)[]) => xs.filter((x) => x !== null).length;
      // One point per reading interval with traffic: nearly every reading.
      expect(points(c.data.canary)).toBeGreaterThanOrEqual(readings / 2);
      expect(c.drawn).toEqual({
        canary: points(c.data.canary),
        control: points(c.data.control),
        'canary baseline': readings,
        'control baseline': readings,
      });
    }
    // The canary's error rate on the chart is the bad build's 20%, the control's the good one's 1%.
    const errors = charts.find((c) => c.metric === 'http_5xx')!.data;
    expect(errors.canaryBaseline).toBeCloseTo(0.01, 3);
    expect(Math.max(...errors.canary.filter((x) => x !== null))).toBeCloseTo(0.2, 2);

    // The verdict table has the deciding look's numbers, as the verdict line states them.
    const regression = outcome.verdicts.find((v) => v.verdict === 'regression')!;
    const line = regression.metrics.find((m) => m.startsWith('http_5xx'))!;
    const [, ratio, tolerated, p, threshold] =
      /\((x[\d.]+) vs own baselines, tolerated (x[\d.]+)\), p=(\S+) < (\S+)/.exec(line)!;
    const rows = await report.page.evaluate<[], () => string[]>(
      `[...document.querySelectorAll('tr.metric.regression')].map((tr) => tr.innerText)`,
    );
    expect(rows.find((r) => r.startsWith('http_5xx'))).toEqual(
      expect.stringMatching(
        new RegExp(
          `regression\\t.*\\t${esc(ratio!)}\\t${esc(tolerated!)}\\t${esc(p!)}\\t${esc(threshold!)}\\t`,
        ),
      ),
    );
    const reportText = await report.page.evaluate<[], () => string>('document.body.innerText');
    expect(reportText).toContain(`canary look 1 (early stop at soak reading 1) at`);
    expect(reportText).toMatch(/rolled back \(\d\)/);
  });
});

interface ChartOnPage {
  metric: string;
  drawn: Record<string, number>;
  data: MetricChart;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How many readings the deploy took, counted from its history's sampling summaries. */
async function readingsInHistory(h: WorkflowHandle): Promise<number> {
  const { events } = await h.fetchHistory();
  const indices = new Set<string>();
  for (const e of events ?? []) {
    const summary = e.userMetadata?.summary;
    const text = summary ? defaultPayloadConverter.fromPayload<string>(summary) : '';
    const m = /^sample \d+ hosts \(.* reading (\d+)\)$/.exec(text);
    if (m) indices.add(m[1]!);
  }
  return indices.size;
}
