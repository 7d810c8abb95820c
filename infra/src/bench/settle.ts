import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { round } from './stats.js';

export interface SettleResult {
  drained: boolean;
  /** Events the durable consumers still had to apply (pending + ack pending, summed) when we started waiting. */
  pendingAtStart: number;
  /** Per durable consumer at the start: which one was behind, and whether delivered-but-unacked (ack pending). */
  consumersAtStart: { name: string; pending: number; ackPending: number }[];
  seconds: number;
  eventsPerSecond: number | null;
}

async function backlog(nats: Nats, names: NatsNames): Promise<SettleResult['consumersAtStart']> {
  const out: SettleResult['consumersAtStart'] = [];
  for await (const c of nats.jsm.consumers.list(names.eventStream)) {
    // Only durable consumers (projections, sagas) have to keep up; ordered consumers read from "now".
    if (c.config.durable_name) out.push({ name: c.name, pending: c.num_pending, ackPending: c.num_ack_pending });
  }
  return out;
}

/** Smallest backlog whose drain time says something about projection throughput. */
const MIN_BACKLOG_FOR_RATE = 2_000;

const total = (consumers: SettleResult['consumersAtStart']) =>
  consumers.reduce((sum, c) => sum + c.pending + c.ackPending, 0);

/**
 * Waits until every durable consumer of the event stream has applied everything, so that one benchmark phase
 * does not pay for the projection work of the previous one. The drain rate is a rough projection throughput.
 */
export async function waitForProjections(
  nats: Nats,
  names: NatsNames,
  timeoutMs: number,
  log?: (s: string) => void,
  pollMs = 200,
): Promise<SettleResult> {
  const started = performance.now();
  const consumersAtStart = await backlog(nats, names);
  const pendingAtStart = total(consumersAtStart);
  let pending = pendingAtStart;
  let reported = started;
  while (pending > 0 && performance.now() - started < timeoutMs) {
    await sleep(pollMs);
    const now = await backlog(nats, names);
    pending = total(now);
    if (log && performance.now() - reported >= 2000) {
      reported = performance.now();
      log(
        `  still ${pending} events to apply after ${round((reported - started) / 1000, 1)} s: ${now
          .filter((c) => c.pending + c.ackPending > 0)
          .map((c) => `${c.name} ${c.pending} pending, ${c.ackPending} delivered`)
          .join('; ')}`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    drained: pending === 0,
    pendingAtStart,
    consumersAtStart: consumersAtStart.filter((c) => c.pending + c.ackPending > 0),
    seconds: round(seconds, 2),
    // Polled every `pollMs`: a small backlog drains within one poll, and its "rate" would only measure the polling.
    eventsPerSecond:
      pendingAtStart >= MIN_BACKLOG_FOR_RATE && pending === 0 ? round(pendingAtStart / seconds, 0) : null,
  };
}
