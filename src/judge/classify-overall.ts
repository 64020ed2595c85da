// Combines the metrics' verdicts into the look's verdict.
//   regression    a critical metric regressed, or at least `quorum` others did
//   inconclusive  a critical metric could not decide, a single non-critical
//                 metric regressed (worth a human's look, not an automatic
//                 rollback), or no metric could decide
//   pass          otherwise (also with no metrics at all: a timed wait);
//                 undecided non-critical metrics are named in the reason
import type { JudgeVerdict, MetricVerdict } from './types.js';

/** Non-critical regressions that together trigger a rollback. */
export const NON_CRITICAL_QUORUM = 2;

export function classifyOverall(metrics: MetricVerdict[], alpha: number): JudgeVerdict {
  const names = (ms: MetricVerdict[]) => ms.map((m) => m.metric).join(', ');
  const regressed = metrics.filter((m) => m.verdict === 'regression');
  const criticalRegressed = regressed.filter((m) => m.critical);
  const undecided = metrics.filter((m) => m.verdict === 'inconclusive');
  const criticalUndecided = undecided.filter((m) => m.critical);
  // Inconclusive only for want of exposure: no regression, and every metric
  // that keeps the look from deciding waits for exposure.
  const deciding = criticalUndecided.length > 0 ? criticalUndecided : undecided;
  const waits =
    regressed.length === 0 && deciding.length > 0 && deciding.every((m) => m.shortOfExposure);
  const done = (verdict: JudgeVerdict['verdict'], reason: string): JudgeVerdict => ({
    verdict,
    reason,
    metrics,
    alpha,
    ...(verdict === 'inconclusive' && waits ? { waitsForExposure: true as const } : {}),
  });

  if (criticalRegressed.length > 0)
    return done('regression', `critical metric regressed: ${names(criticalRegressed)}`);
  if (regressed.length >= NON_CRITICAL_QUORUM)
    return done('regression', `${regressed.length} metrics regressed: ${names(regressed)}`);
  // A cluster without metrics asked for timed waits (`phased plan` says so):
  // its hosts' health checks gate them, and no look can hold the deploy.
  if (metrics.length === 0) return done('pass', 'no metrics to judge: a timed wait');
  if (criticalUndecided.length > 0)
    return done('inconclusive', `critical metric cannot decide: ${names(criticalUndecided)}`);
  if (regressed.length === 1)
    return done(
      'inconclusive',
      `one non-critical metric regressed (${names(regressed)}); ${NON_CRITICAL_QUORUM} are needed to roll back on their own`,
    );
  if (undecided.length === metrics.length)
    return done('inconclusive', `no metric has enough data: ${names(undecided)}`);
  const note = undecided.length > 0 ? `; undecided (non-critical): ${names(undecided)}` : '';
  return done('pass', `${metrics.length - undecided.length} metrics within tolerance${note}`);
}
