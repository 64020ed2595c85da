// Every workflow the phased worker runs (this file is the bundle's entry point).
export { preflight } from './preflight.js';
export { deploy } from './deploy.js';
export { rollback } from './rollback.js';
export { clusterQueue } from './cluster-queue.js';
export { fleetCheck } from './fleet-check.js';
