import { describe, expect, it } from 'vitest';
import { PhasedError, describeCause, isPhasedError, rootCause } from '../../src/errors.js';

describe('PhasedError', () => {
  it('carries a stable code, the problem, the fix and the cause', () => {
    const cause = new Error('ECONNREFUSED 127.0.0.1:7233');
    const err = new PhasedError({
      code: 'TEMPORAL_UNREACHABLE',
      problem: 'cannot reach the Temporal server at 127.0.0.1:7233',
      fix: 'start it with phased server',
      retryable: true,
      cause,
    });
    expect(err.message).toBe(
      'cannot reach the Temporal server at 127.0.0.1:7233\n  fix: start it with phased server',
    );
    expect(err).toMatchObject({ code: 'TEMPORAL_UNREACHABLE', retryable: true, cause });
    expect(isPhasedError(err, 'TEMPORAL_UNREACHABLE')).toBe(true);
    expect(isPhasedError(err, 'CONFIG_INVALID')).toBe(false);
  });

  it('is not retryable unless said so', () => {
    const err = new PhasedError({ code: 'CONFIG_INVALID', problem: 'p', fix: 'f' });
    expect(err.retryable).toBe(false);
  });

  it('quotes only the first line of a cause', () => {
    expect(describeCause(new Error('first\nsecond'))).toBe('first');
    expect(describeCause('plain')).toBe('plain');
  });

  it('finds the cause under wrappers, and names a timeout as one', () => {
    const refused = new Error('connect ECONNREFUSED 10.0.0.3:9100');
    expect(rootCause(new TypeError('fetch failed', { cause: refused }))).toBe(
      'connect ECONNREFUSED 10.0.0.3:9100',
    );
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(rootCause(timeout)).toBe('timed out');
    expect(rootCause('plain')).toBe('plain');
  });
});
