// What an operator sees in the Temporal UI after a deploy rolled back: the
// list says Failed (not a green Completed) and the deploy's page shows its
// outcome, revision and verdicts without opening an event. Real UI (the
// run's embedded server), real headless Chromium.
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../src/client.js';
import { eventually } from '../../src/poll.js';
import { newPage, openBrowser, rowText, waitForText } from '../helpers/browser.js';
import { withDeployer } from '../helpers/deploys.js';
import { createLocalFleet, preinstall } from '../helpers/local-fleet.js';
import { sharedServer, uniqueId } from '../helpers/temporal.js';

describe('the Temporal UI', () => {
  it('lists a rolled-back deploy as failed and shows its outcome and verdicts on its page', async () => {
    const fleet = await createLocalFleet(uniqueId('ui'), 8, {
      durations: { baseline: '1s', soak: '3s', watch: '1s', lookEvery: '1s' },
    });
    await preinstall(fleet, 'good-1', fleet.release('good-1', 0.01));
    fleet.startTraffic();
    const { workflowId, runId, outcome } = await withDeployer(async (d) => {
      const h = await d.start(fleet, 'bad', 0.2);
      return {
        workflowId: h.workflowId,
        runId: h.firstExecutionRunId,
        outcome: await outcomeOf(h),
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
    const text = await waitForText(page, [workflowId, 'Result']);
    expect(text).toContain('FAILED');
    expect(text).toContain(`rolled_back: ${fleet.config.cluster} <- bad: canary regression`);
    expect(text).toContain('canary look 1');
    expect(text).toMatch(/http_5xx: canary 20% vs control [\d.]+% \(x\d+ vs own baselines/);
  });
});
