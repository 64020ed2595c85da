import { describe, expect, it } from 'vitest';
import { lookLabel } from '../../../src/app/cli/format.js';

describe('lookLabel', () => {
  it('names the look, and for an early stop the soak reading that caught it', () => {
    expect(lookLabel({ phase: 'canary', look: 1 })).toBe('canary look 1');
    expect(lookLabel({ phase: 'canary', look: 1, reading: 2 })).toBe(
      'canary look 1 (early stop at soak reading 2)',
    );
    expect(lookLabel({ phase: 'watch', look: 7 })).toBe('watch look 7');
  });
});
