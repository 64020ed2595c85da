// What the watch's recent window buys: x3 errors starting 3 minutes after the
// full switch, judged with and without the window of the last 60 s (without
// it, its half of each watch look's alpha goes unused), at a 5% and a 10%
// canary (holdback as large), 200 deploys each, seed 42.
//
//   npx tsx bench/judge/late-window.ts
import { phased } from './judges.js';
import { createRng, DEFAULT_FLEET, looksOf, simulateDeploy } from './simulate.js';

const DEPLOYS = 200;
for (const canaryFraction of [0.05, 0.1])
  for (const recent of [false, true]) {
    const params = { ...DEFAULT_FLEET, canaryFraction };
    const rng = createRng(42);
    let caught = 0;
    for (let d = 0; d < DEPLOYS; d++) {
      const trace = simulateDeploy(params, { errors: 3, latency: 1, startsAfterFullSec: 180 }, rng);
      const looks = looksOf(params, trace).map((l) =>
        recent ? l : { ...l, recentFrom: undefined },
      );
      const judgeLook = phased.forDeploy(params, trace, looks);
      for (const look of looks) {
        const verdict = judgeLook(look);
        if (verdict === 'pass') continue;
        if (verdict === 'regression') caught++;
        break;
      }
    }
    process.stdout.write(
      `| ${canaryFraction * 100}% | ${recent ? 'yes' : 'no'} | ${((100 * caught) / DEPLOYS).toFixed(1)}% |\n`,
    );
  }
