// The activities a phased worker registers, built from injected dependencies.
// src/app/worker.ts is the only place that creates the real dependencies; tests
// pass fakes.
import { createClusterActivities, type ClusterDeps } from './clusters.js';
import { createHostActivities, type HostDeps } from './hosts.js';
import { createMetricActivities, type MetricDeps } from './metrics.js';
import { createPreflightActivities, type PreflightDeps } from './preflight.js';
import { createNotifyActivities, type NotifyDeps } from './notify.js';
import { createQueueActivities, type QueueDeps } from './queue.js';

export interface ActivityDeps {
  clusters: ClusterDeps;
  preflight: PreflightDeps;
  hosts: HostDeps;
  metrics: MetricDeps;
  queue: QueueDeps;
  notify: NotifyDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPreflightActivities(deps.preflight),
    ...createClusterActivities(deps.clusters),
    ...createHostActivities(deps.hosts),
    ...createMetricActivities(deps.metrics),
    ...createQueueActivities(deps.queue),
    ...createNotifyActivities(deps.notify),
  };
}

export type Activities = ReturnType<typeof createActivities>;
