import type { ConsumerDeserializer, IncomingRequest, Serializer } from '@nestjs/microservices';
import { ErrorCode, type CommandReply } from '@cm/contracts';

interface NatsMsgLike {
  data: Uint8Array;
  json<T>(): T;
}

/**
 * Nest's NATS transport wraps messages in its own `{ pattern, data, id }` envelope. Our wire protocol is
 * plain JSON both ways (a `CommandEnvelope` in, a `CommandReply` out), so any NATS client can send commands:
 * the reply subject stands in for Nest's request id.
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
    const reply: CommandReply = { ok: false, error: { code: ErrorCode.INTERNAL, message: 'internal error' } };
    return { data: JSON.stringify(reply) };
  }
}
