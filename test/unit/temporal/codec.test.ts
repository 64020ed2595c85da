import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  DEFLATE_FROM_BYTES,
  DeflateCodec,
  deflatePayload,
  inflatePayload,
} from '../../../src/app/temporal/codec.js';
import { historyText } from '../../helpers/history-text.js';

const toPayload = (x: unknown) => defaultPayloadConverter.toPayload(x);
const fromPayload = (p: ReturnType<typeof toPayload>) => defaultPayloadConverter.fromPayload(p);

/** A batch of 200 hosts as a host step carries it. */
const batch = {
  hosts: Array.from({ length: 200 }, (_, i) => ({
    name: `web-${i + 1}`,
    root: `/srv/web-${i + 1}`,
    address: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    tags: { zone: `z${i % 4}`, rack: `r${i % 40}` },
  })),
  protect: Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`web-${i + 1}`, ['v2', 'v1']]),
  ),
};

describe('the payload codec', () => {
  it('deflates a large payload and gives back exactly the original', async () => {
    const codec = new DeflateCodec();
    const plain = toPayload(batch);
    expect(plain.data!.length).toBeGreaterThan(DEFLATE_FROM_BYTES);
    const [packed] = await codec.encode([plain]);
    expect(packed!.data!.length * 8).toBeLessThan(plain.data!.length);
    const [back] = await codec.decode([packed!]);
    expect(fromPayload(back!)).toEqual(batch);
    expect(Buffer.from(back!.data!)).toEqual(Buffer.from(plain.data!));
  });

  it('leaves small payloads plain, as the Temporal UI shows them', async () => {
    const small = toPayload({ outcome: 'done', summary: 'v2 is live on 8 hosts' });
    const [same] = await new DeflateCodec().encode([small]);
    expect(same).toBe(small);
  });

  it('reads payloads written before it, and by workers without it, as they are', () => {
    const plain = toPayload(batch);
    expect(inflatePayload(plain)).toBe(plain);
    expect(fromPayload(inflatePayload(deflatePayload(plain)))).toEqual(batch);
  });

  it('keeps a payload plain when deflating would not make it smaller', () => {
    const noise = toPayload(
      Array.from({ length: 4000 }, (_, i) => ((i * 2654435761) % 4294967296).toString(36)).join(''),
    );
    const out = deflatePayload(noise, 16);
    expect(out.data!.length).toBeLessThanOrEqual(noise.data!.length);
    expect(fromPayload(inflatePayload(out))).toEqual(fromPayload(noise));
  });
});

describe("the tests' history scan", () => {
  it('reads what a deflated payload holds, so a secret cannot hide in one', () => {
    const event = {
      result: { payloads: [deflatePayload(toPayload({ ...batch, leaked: 'tok-3f9a' }))] },
    };
    expect(Buffer.from(event.result.payloads[0]!.data!).toString('utf8')).not.toContain('tok-3f9a');
    expect(historyText({ events: [event] })).toContain('tok-3f9a');
  });
});
