// Colours for a person at a terminal, never in a pipe, a log or for NO_COLOR;
// tables with a header and times with their zone.
import { afterEach, describe, expect, it } from 'vitest';
import { historyTable, outcomeBlock } from '../../../src/app/cli/format.js';
import { colorsEnabled, setColors } from '../../../src/app/cli/style.js';
import type { HistoryRow } from '../../../src/app/client.js';

const ESC = '\u001b[';

afterEach(() => setColors(false));

describe('colours', () => {
  it('are on only at a terminal, and off for NO_COLOR or --no-color', () => {
    const tty = { isTTY: true };
    expect(colorsEnabled(tty, {}, [])).toBe(true);
    expect(colorsEnabled({ isTTY: false }, {}, [])).toBe(false);
    expect(colorsEnabled({}, {}, [])).toBe(false);
    expect(colorsEnabled(tty, { NO_COLOR: '1' }, [])).toBe(false);
    expect(colorsEnabled(tty, {}, ['node', 'phased', 'history', '--no-color'])).toBe(false);
    expect(colorsEnabled({ isTTY: false }, { FORCE_COLOR: '1' }, [])).toBe(true);
  });
});

const rows: HistoryRow[] = [
  {
    workflowId: 'deploy-web-bad-x',
    type: 'deploy',
    status: 'FAILED',
    revision: 'bad',
    phase: 'rolled_back',
    outcome: 'rolled_back',
    operator: 'ci',
    startTime: '2026-11-28T16:41:01.720Z',
    closeTime: '2026-11-28T16:41:05.410Z',
  },
  {
    workflowId: 'deploy-web-good-2-y',
    type: 'deploy',
    status: 'COMPLETED',
    revision: 'good-2',
    phase: 'done',
    outcome: 'done',
    operator: 'alice',
    startTime: '2026-11-28T16:40:00.000Z',
    closeTime: '2026-11-28T16:41:00.000Z',
  },
];

describe('the history table', () => {
  it('has a header, aligned columns and times in UTC, with no colour off a terminal', () => {
    setColors(false);
    expect(historyTable(rows).split('\n')).toEqual([
      'STARTED                  TYPE    REVISION  OUTCOME      OPERATOR  WORKFLOW',
      '2026-11-28 16:41:01 UTC  deploy  bad       rolled_back  ci        deploy-web-bad-x',
      '2026-11-28 16:40:00 UTC  deploy  good-2    done         alice     deploy-web-good-2-y',
    ]);
  });

  it('colours outcomes at a terminal without moving the columns', () => {
    setColors(true);
    const lines = historyTable(rows).split('\n');
    expect(lines[1]).toContain(`${ESC}31m`); // rolled back in red
    expect(lines[2]).toContain(`${ESC}32mdone`); // done in green
    // eslint-disable-next-line no-control-regex
    const plain = (s: string) => s.replace(/\u001b\[\d+m/g, '');
    expect(plain(lines[1]!)).toBe(
      '2026-11-28 16:41:01 UTC  deploy  bad       rolled_back  ci        deploy-web-bad-x',
    );
    expect(
      outcomeBlock({
        outcome: 'rolled_back',
        cluster: 'web',
        revision: 'bad',
        summary: 's',
        rolledBack: [],
        unavailable: [],
        broken: [],
        verdicts: [],
        actions: [],
        timings: {},
      }),
    ).toContain(`${ESC}31m`);
  });
});
