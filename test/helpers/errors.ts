// Awaits a promise that must reject with a PhasedError, and returns the error.
import { expect } from 'vitest';
import { PhasedError } from '../../src/errors.js';

export async function phasedError(p: Promise<unknown>): Promise<PhasedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PhasedError);
  return err as PhasedError;
}
