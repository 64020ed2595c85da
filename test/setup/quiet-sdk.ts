// Keeps the Temporal SDK's INFO chatter out of test output (PHASED_LOG_LEVEL overrides).
import { installRuntime } from '../../src/worker.js';

installRuntime();
