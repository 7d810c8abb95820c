import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { RealtimeReason } from '@cm/contracts';
import type { Delivery, Sink } from './core/subscriber.js';
import { encodedOnce } from './core/update.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import type { Response } from './http-server.js';

/** One subscription operation's document, executed once per event for all subscribers that share it. */
export interface Operation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | undefined;
  variableValues: Record<string, unknown> | undefined;
  /** The subscription's root field, e.g. `campaignEvents`. */
  field: string;
  /** Printed document + variables: subscribers with the same key get the same result object. */
  key: string;
}

/**
 * A graphql-sse operation as a subscriber's sink: an async iterator graphql-sse pulls results from. A result
 * is the execution of the operation's selection over the update, made once per (event, operation key) and
 * shared; graphql-sse then prints it per connection (its message format puts the operation id in the data).
 */
export class GraphqlSink implements Sink, AsyncIterableIterator<ExecutionResult> {
  private readonly pending: ExecutionResult[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  onReturn: (() => void) | undefined;

  constructor(
    private readonly op: Operation,
    /** The response the stream is written to (its buffer is the bound). */
    private readonly stream: () => Response | undefined,
    private readonly maxBytes: number,
    private readonly metrics: GatewayMetrics,
  ) {}

  send(batch: Delivery[]): boolean {
    const res = this.stream();
    if (res && res.writableLength > this.maxBytes) return false;
    for (const { update } of batch) {
      this.push(
        encodedOnce(update, `gql:${this.op.key}`, () => {
          this.metrics.graphqlExecutions.inc();
          return execute({
            schema: this.op.schema,
            document: this.op.document,
            operationName: this.op.operationName,
            variableValues: this.op.variableValues,
            rootValue: { [this.op.field]: update.payload },
          }) as ExecutionResult;
        }),
      );
    }
    this.metrics.tally.messages += batch.length;
    return true;
  }

  notice(event: RealtimeReason, data: Record<string, unknown>): void {
    this.push({
      errors: [{ message: String(data.message ?? event), extensions: { code: event, ...data } }],
    } as unknown as ExecutionResult);
  }

  close(reason: RealtimeReason | 'CLIENT_GONE', message: string): void {
    if (this.ended) return;
    if (reason !== 'CLIENT_GONE') this.notice(reason, { message });
    this.ended = true;
    this.wake?.();
    if (reason === 'SLOW_CONSUMER') setTimeout(() => this.stream()?.destroy(), 2_000).unref();
  }

  private push(result: ExecutionResult): void {
    this.pending.push(result);
    this.wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      const value = this.pending.shift();
      if (value) return { value, done: false };
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.ended = true;
    this.pending.length = 0;
    this.onReturn?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
