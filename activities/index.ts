// The activities a phased worker registers, built from injected dependencies.
// src/worker.ts is the only place that creates the real dependencies.
import { createPreflightActivities, type PreflightDeps } from './preflight.js';

export interface ActivityDeps {
  preflight: PreflightDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPreflightActivities(deps.preflight),
  };
}

export type Activities = ReturnType<typeof createActivities>;
