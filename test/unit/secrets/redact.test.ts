import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecrets, redactSecrets, rememberSecret } from '../../../src/secrets/redact.js';

afterEach(() => forgetSecrets());

describe('redactSecrets', () => {
  it('blanks every remembered value, each line of a multi-line one too, and leaves short words', () => {
    rememberSecret('tok-123456');
    rememberSecret(
      '-----BEGIN KEY-----\nAAAAlinefromakey0123\nBBBBanotherline4567\n-----END KEY-----\n',
    );
    rememberSecret('abc');
    expect(redactSecrets('Authorization: Bearer tok-123456; abc')).toBe(
      'Authorization: Bearer [redacted]; abc',
    );
    // A tail of a key printed by a hook: its lines are secrets on their own.
    expect(redactSecrets('...\nBBBBanotherline4567\n-----END KEY-----')).toBe(
      '...\n[redacted]\n[redacted]',
    );
  });
});
