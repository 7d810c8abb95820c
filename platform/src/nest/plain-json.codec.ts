import type { ConsumerDeserializer, IncomingRequest, Serializer } from '@nestjs/microservices';
import { ErrorCode, type ErrorPayload } from '@cm/contracts';

interface NatsMsgLike {
  data: Uint8Array;
  json<T>(): T;
}

/**
 * Nest's NATS transport wraps messages in its own `{ pattern, data, id }` envelope. Our request/reply protocols
 * (commands, rules) are plain JSON both ways (a request in, `{ ok: true, ... } | { ok: false, error }` out), so
 * any NATS client can speak them: the reply subject stands in for Nest's request id.
 */
export class PlainJsonDeserializer implements ConsumerDeserializer {
  deserialize(value: NatsMsgLike, options?: { channel?: string; replyTo?: string }): IncomingRequest {
    let data: unknown;
    try {
      data = value.json();
    } catch {
      data = undefined; // the handler answers VALIDATION
    }
    return { pattern: options?.channel ?? '', data, id: options?.replyTo ?? '' };
  }
}

export class PlainJsonSerializer implements Serializer {
  serialize(packet: { response?: unknown; err?: unknown }): { data: string; headers?: undefined } {
    if (packet.response !== undefined) return { data: JSON.stringify(packet.response) };
    // A handler that threw past its own error mapping: the same refusal shape, without the error's insides.
    const reply: { ok: false; error: ErrorPayload } = {
      ok: false,
      error: { code: ErrorCode.INTERNAL, message: 'internal error' },
    };
    return { data: JSON.stringify(reply) };
  }
}
