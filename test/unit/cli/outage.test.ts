// Following a deploy through an outage: which errors mean "Temporal is down
// for now", and the notes an operator reads meanwhile.
import { describe, expect, it } from 'vitest';
import { ServiceError } from '@temporalio/client';
import { isUnreachable, OutageNotes } from '../../../src/app/cli/outage.js';

/** An error shaped as gRPC's for a call that failed with `code`. */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} grpc`), { code, details: 'x', metadata: {} });
}

describe('outages', () => {
  it('tells an unreachable server from a real failure, through wrapping causes', () => {
    expect(isUnreachable(grpcError(14))).toBe(true); // UNAVAILABLE
    expect(isUnreachable(grpcError(4))).toBe(true); // DEADLINE_EXCEEDED
    expect(isUnreachable(new ServiceError('failed', { cause: grpcError(14) }))).toBe(true);
    expect(isUnreachable(grpcError(5))).toBe(false); // NOT_FOUND: a real answer
    expect(isUnreachable(new Error('workflow failed'))).toBe(false);
    expect(isUnreachable(undefined)).toBe(false);
  });

  it('notes an outage at once, then every 10 s with its length, and its end', () => {
    const lines: string[] = [];
    const notes = new OutageNotes('deploy-web-1', (l) => lines.push(l));
    notes.down(1_000);
    notes.down(5_000); // too soon for another note
    notes.down(11_000);
    notes.down(41_500);
    notes.up(43_000);
    notes.up(44_000); // already up: nothing
    expect(lines).toEqual([
      'phased: Temporal unreachable for 0 s, still following deploy-web-1 ...',
      'phased: Temporal unreachable for 10 s, still following deploy-web-1 ...',
      'phased: Temporal unreachable for 41 s, still following deploy-web-1 ...',
      'phased: Temporal is back after 42 s; following deploy-web-1',
    ]);
  });
});
