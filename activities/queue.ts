// Activities that talk to Temporal itself: joining a cluster's queue (which
// starts the queue workflow if it is not running) and checking a workflow.
import type { QueueRequest } from '../src/core/vocabulary.js';

export interface QueueDeps {
  /** signalWithStart the cluster's queue workflow with an enqueue signal. */
  enqueue: (cluster: string, request: QueueRequest) => Promise<void>;
  isOpen: (workflowId: string) => Promise<boolean>;
}

export function createQueueActivities(deps: QueueDeps) {
  return {
    async joinClusterQueue({ cluster, request }: { cluster: string; request: QueueRequest }) {
      await deps.enqueue(cluster, request);
    },
    async workflowIsOpen(workflowId: string): Promise<boolean> {
      return deps.isOpen(workflowId);
    },
  };
}
