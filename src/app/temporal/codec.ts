// Large payloads travel deflated. A batch of hosts or a reading of many
// hosts repeats the same names, releases and keys hundreds of times, and
// the workflow's history (10 MB before Temporal warns, 50 MB before it ends
// the workflow) holds every one: deflate keeps a ten-thousand-host deploy
// within it. Small payloads (outcomes, verdicts, operator commands) stay
// plain JSON, so the Temporal UI shows them as they are; a deflated one is
// shown as binary there, and phased's client, report and workers read both.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadProto } = proto.temporal.api.common.v1;
const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** The encoding a deflated payload is marked with: the whole original payload, deflated. */
export const DEFLATED = 'binary/phased-deflate';

/** Payloads at least this large are deflated. */
export const DEFLATE_FROM_BYTES = 16 * 1024;

/** The payload deflated when it is large enough to gain, as it is otherwise. */
export function deflatePayload(p: Payload, fromBytes = DEFLATE_FROM_BYTES): Payload {
  if (!p.data || p.data.length < fromBytes) return p;
  const packed = deflateRawSync(PayloadProto.encode(p).finish());
  if (packed.length >= p.data.length) return p;
  return { metadata: { [METADATA_ENCODING_KEY]: encode(DEFLATED) }, data: packed };
}

/** The original payload of a deflated one; any other payload as it is. */
export function inflatePayload(p: Payload): Payload {
  const encoding = p.metadata?.[METADATA_ENCODING_KEY];
  if (!encoding || decode(encoding) !== DEFLATED || !p.data) return p;
  return PayloadProto.decode(inflateRawSync(p.data));
}

/** The codec every phased worker and client uses. */
export class DeflateCodec implements PayloadCodec {
  constructor(private readonly fromBytes = DEFLATE_FROM_BYTES) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map((p) => deflatePayload(p, this.fromBytes)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.resolve(payloads.map(inflatePayload));
  }
}

/** The data converter of phased's workers and clients. */
export const phasedDataConverter = { payloadCodecs: [new DeflateCodec()] };
