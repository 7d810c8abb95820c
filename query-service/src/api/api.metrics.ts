import { Counter, Histogram, type Registry } from '@cm/platform';

/** Operation types as labels; `unknown` when the request failed before its operation was known. */
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/**
 * The API's Prometheus metrics. Outcomes are `ok` or an `ErrorCode`, so label cardinality stays bounded
 * whatever clients send.
 */
export class ApiMetrics {
  private readonly operations: Counter<'type' | 'outcome'>;
  private readonly duration: Histogram<'type' | 'outcome'>;
  private readonly commands: Counter<'type' | 'code'>;
  private readonly fastPath: Counter;
  private readonly readModelCalls: Counter<'method'>;

  constructor(registry: Registry) {
    this.operations = new Counter({
      name: 'cm_graphql_operations_total',
      help: 'GraphQL operations by operation type and outcome (ok or the first error code)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'cm_graphql_operation_duration_seconds',
      help: 'Time from receiving a GraphQL request to its result, by operation type and outcome',
      labelNames: ['type', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.commands = new Counter({
      name: 'cm_graphql_commands_forwarded_total',
      help: 'Commands forwarded to the command service, by command type and reply code (ok or an error code)',
      labelNames: ['type', 'code'],
      registers: [registry],
    });
    this.fastPath = new Counter({
      name: 'cm_graphql_fast_path_total',
      help: 'GraphQL requests answered by the fast path (a JSON POST of a query text yoga already validated) instead of yoga',
      registers: [registry],
    });
    this.readModelCalls = new Counter({
      name: 'cm_read_model_calls_total',
      help: 'Read-model calls made by GraphQL requests, by read-model method (each one round trip, whatever the number of keys)',
      labelNames: ['method'],
      registers: [registry],
    });
  }

  readModelCall(method: string): void {
    this.readModelCalls.inc({ method });
  }

  fastPathAnswered(): void {
    this.fastPath.inc();
  }

  operation(type: OperationType, outcome: string, seconds: number): void {
    this.operations.inc({ type, outcome });
    this.duration.observe({ type, outcome }, seconds);
  }

  commandForwarded(type: string, code: string): void {
    this.commands.inc({ type, code });
  }
}
