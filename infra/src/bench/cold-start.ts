import { randomUUID } from 'node:crypto';
import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import type { CpuSnapshot } from './cpu.js';
import { sendCommand } from './command-load.js';
import { closedLoop, type LoadResult } from './load.js';
import { commitHeaders, sampleCommit } from './raw-publish.js';
import { round } from './stats.js';

/** Events per kingdom in the filled history: a create and three renames, each its own commit. */
const COMMITS_PER_KINGDOM = 4;
const FILL_IN_FLIGHT = 256;

export interface ColdStart {
  /** Messages in the event stream when the command service was restarted. */
  streamMessages: number;
  /** The first renames after the restart, each on a kingdom no command touched since. */
  cold: LoadResult;
}

/** A campaign whose kingdoms k0, k1, … have four commits each, written by `fillEventStream`. */
export interface FilledCampaign {
  campaignId: string;
  kingdoms: number;
}

/**
 * Fills the event stream to about `events` messages with raw pipelined publishes of the commits the command
 * service would write: a create and three renames per kingdom, each expecting the subject's last sequence and
 * listing the earlier ones, in a campaign created through the command service (or `into`'s, after its
 * kingdoms). Returns the campaign's kingdoms and how long the fill took.
 */
export async function fillEventStream(
  nats: Nats,
  names: NatsNames,
  events: number,
  log: (s: string) => void,
  into?: FilledCampaign,
): Promise<FilledCampaign & { fill: { events: number; seconds: number; rate: number } }> {
  const campaignId = into?.campaignId ?? `cold-${randomUUID().slice(0, 8)}`;
  if (!into) {
    const created = await sendCommand(nats, names, 'campaign.create', campaignId, campaignId, {
      name: 'Cold-start campaign',
    });
    if (!created.ok)
      throw new Error(`cannot create the cold-start campaign: ${created.error.code} ${created.error.message}`);
  }
  const first = into?.kingdoms ?? 0;
  const { state } = await nats.jsm.streams.info(names.eventStream);
  const kingdoms = Math.max(1, Math.ceil((events - state.messages) / COMMITS_PER_KINGDOM));
  // The sequence of commit v (1-based) of the n-th new kingdom at [n * COMMITS_PER_KINGDOM + v - 1].
  const seqs = new Float64Array(kingdoms * COMMITS_PER_KINGDOM);
  const started = performance.now();
  // Round by round, so that every publish of a round goes to a different subject and all can be in flight.
  for (let version = 1; version <= COMMITS_PER_KINGDOM; version += 1) {
    const op = async (n: number) => {
      const previous = Array.from(
        seqs.subarray(n * COMMITS_PER_KINGDOM, n * COMMITS_PER_KINGDOM + version - 1),
      ).reverse();
      const i = first + n;
      const ack = await nats.js.publish(
        names.eventSubject({ campaignId, branchId: 'main', entityType: 'kingdom', entityId: `k${i}` }),
        sampleCommit(i, campaignId, version),
        {
          headers: commitHeaders(previous),
          expect: { lastSubjectSequence: previous[0] ?? 0 },
        },
      );
      seqs[n * COMMITS_PER_KINGDOM + version - 1] = ack.seq;
    };
    const round_ = await closedLoop({
      concurrency: FILL_IN_FLIGHT,
      durationMs: Number.MAX_SAFE_INTEGER,
      op,
      maxOps: kingdoms,
    });
    if (round_.errors > 0)
      throw new Error(`filling the stream: ${round_.errors} publishes failed ${JSON.stringify(round_.errorKinds)}`);
    log(`  round ${version}/${COMMITS_PER_KINGDOM}: ${kingdoms} commits at ${round_.rate}/s`);
  }
  const seconds = (performance.now() - started) / 1000;
  const filled = kingdoms * COMMITS_PER_KINGDOM;
  return {
    campaignId,
    kingdoms: first + kingdoms,
    fill: { events: filled, seconds: round(seconds, 1), rate: round(filled / seconds, 1) },
  };
}

/**
 * After `restart()` (the command service's aggregate cache is empty), sends `commands` renames with 64
 * senders, each to a kingdom of `kingdomIds` that no command has touched since the restart, and measures them
 * all, from the first: the cost of cold loads.
 */
export async function measureColdRenames(opts: {
  nats: Nats;
  names: NatsNames;
  campaignId: string;
  kingdomIds: (n: number) => string;
  commands: number;
  restart: () => Promise<void>;
  log: (s: string) => void;
  /** Builds the CPU sampler once the restarted service runs (its pid changed). */
  cpu?: () => () => CpuSnapshot;
}): Promise<ColdStart> {
  await opts.restart();
  const cpu = opts.cpu?.();
  const { state } = await opts.nats.jsm.streams.info(opts.names.eventStream);
  const rename = (n: number) =>
    sendCommand(opts.nats, opts.names, 'kingdom.rename', opts.campaignId, opts.kingdomIds(n), {
      name: `Cold ${n}`,
    }).then((r) => (r.ok ? undefined : r.error.code));
  opts.log(`the first ${opts.commands} renames after a restart, 64 senders, stream of ${state.messages} messages`);
  const cold = await closedLoop({
    concurrency: 64,
    durationMs: Number.MAX_SAFE_INTEGER,
    op: rename,
    maxOps: opts.commands,
    cpu,
  });
  opts.log(`  ${cold.rate} cmds/s, p50 ${cold.latencyMs.p50} ms, p99 ${cold.latencyMs.p99} ms, ${cold.errors} errors`);
  if (cold.cpu) opts.log(`  CPU µs per command ${JSON.stringify(cold.cpu.usPerOp)}`);
  return { streamMessages: state.messages, cold };
}
