import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AppError,
  ErrorCode,
  parseOrThrow,
  rulesEvaluateRequestSchema,
  toErrorPayload,
  type RulesEvaluateReply,
} from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { EventFollower } from './adapters/event-follower.js';
import type { Evaluator } from './evaluator.js';
import type { RulesMetrics } from './rules.metrics.js';

/** What the NATS edge needs, handed in as one value. */
export interface RulesEdge {
  evaluator: Evaluator;
  follower: EventFollower;
  metrics: RulesMetrics;
  logger: Logger;
  minSeqTimeoutMs: number;
}
export const RULES_EDGE = Symbol('RULES_EDGE');

/**
 * The NATS edge of `<prefix>.rules.evaluate`: validates the request, waits (bounded) until this instance has
 * applied `minSeq`, evaluates the batch and answers plain JSON. The subject depends on the namespace, so the
 * controller class is made per subject.
 */
export function rulesControllerFor(subject: string): Type<unknown> {
  @Controller()
  class RulesController {
    constructor(@Inject(RULES_EDGE) private readonly edge: RulesEdge) {}

    @MessagePattern(subject)
    async evaluate(@Payload() data: unknown): Promise<RulesEvaluateReply> {
      const started = performance.now();
      const { evaluator, follower, metrics, logger, minSeqTimeoutMs } = this.edge;
      try {
        const req = parseOrThrow(rulesEvaluateRequestSchema, data, 'rules request');
        if (req.minSeq !== undefined && !(await follower.waitFor(req.minSeq, minSeqTimeoutMs))) {
          throw new AppError(
            ErrorCode.STALE_READ,
            `rules have not reached sequence ${req.minSeq} within ${minSeqTimeoutMs} ms`,
            {
              minSeq: req.minSeq,
              appliedSeq: evaluator.state.appliedSeq,
            },
          );
        }
        // Read before evaluating: the batch runs synchronously, so every result reflects exactly this sequence.
        const seq = evaluator.state.appliedSeq;
        const entities = evaluator.evaluate(req);
        metrics.observe('ok', started);
        return { ok: true, seq, entities };
      } catch (e) {
        const error = toErrorPayload(e);
        metrics.observe(error.code, started);
        if (error.code === ErrorCode.INTERNAL) logger.error({ err: e }, 'rules request failed');
        return { ok: false, error };
      }
    }
  }
  return RulesController;
}
