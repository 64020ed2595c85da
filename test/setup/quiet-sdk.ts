// Keeps the Temporal SDK's chatter out of test output: the time-skipping test
// server makes the SDK warn about expired workflow tasks when activities
// finish concurrently, which is harmless. PHASED_LOG_LEVEL overrides.
import { installRuntime } from '../../src/app/worker.js';

installRuntime((process.env.PHASED_LOG_LEVEL ?? 'ERROR') as 'ERROR');
