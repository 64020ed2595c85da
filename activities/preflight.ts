// Reports which worker picked up the task: host, process and tool versions.
export interface WorkerDescription {
  hostname: string;
  pid: number;
  node: string;
  identity: string;
}

export interface PreflightDeps {
  hostname: () => string;
  pid: number;
  nodeVersion: string;
  identity: string;
}

export function createPreflightActivities(deps: PreflightDeps) {
  return {
    describeWorker(): Promise<WorkerDescription> {
      return Promise.resolve({
        hostname: deps.hostname(),
        pid: deps.pid,
        node: deps.nodeVersion,
        identity: deps.identity,
      });
    },
  };
}
