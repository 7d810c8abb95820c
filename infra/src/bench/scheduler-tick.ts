// `npm run bench -- --only scheduler`: one settlement-growth tick over 10,000 settlements, end to end (the cron
// fires, the lock holder plans the jobs, the replicas' jobs read the read model and send one command per
// settlement, the commands are appended and projected), beside the same number of plain commands sent straight
// to the command service in the same run; and the Redis round trips the cron lock cost per tick.
import { type NatsNames } from '@cm/contracts';
import { ensureJobStream, type Nats } from '@cm/platform';
import { sendCommand } from './command-load.js';
import { closedLoop } from './load.js';
import { row } from './report.js';
import { runBench } from './runner.js';
import { round } from './stats.js';

const SETTLEMENTS = 10_000;
const NEVER = '0 0 1 1 *';

/** Resolves once the Postgres projection has announced a checkpoint at or past `seq`. */
function projectedTo(nats: Nats, names: NatsNames, seq: number, timeoutMs = 600_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sub = nats.nc.subscribe(names.checkpointSubject('postgres'), {
      callback: (_err, msg) => {
        if ((msg.json<{ seq: number }>().seq ?? 0) >= seq) {
          sub.unsubscribe();
          clearTimeout(timer);
          resolve();
        }
      },
    });
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`projection did not reach seq ${seq} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

async function lastSeq(nats: Nats, names: NatsNames): Promise<number> {
  return (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
}

/** Sends `count` commands from 64 senders; throws on the first rejection. */
async function sendAll(
  nats: Nats,
  names: NatsNames,
  count: number,
  make: (i: number) => Parameters<typeof sendCommand>,
) {
  const result = await closedLoop({
    concurrency: 64,
    durationMs: 600_000,
    maxOps: count,
    op: async (i) => {
      const reply = await sendCommand(...make(i));
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    },
  });
  if (result.ok !== count) throw new Error(`only ${result.ok} of ${count} commands succeeded`);
}

async function metricValue(url: string, name: string, cron: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`cron="${cron}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

export async function runSchedulerBench(log: (s: string) => void): Promise<number> {
  return runBench({ name: 'scheduler', label: 'bsched', log }, async ({ nn, ...ctx }) => {
    const n = await ctx.nats();
    await ensureJobStream(n.jsm, nn, { replicas: 1, duplicateWindowMs: 120_000 });
    await ctx.start({ services: ['command-service', 'query-api', 'query-projector'] });

    const campaignId = 'growth';
    log(`seeding ${SETTLEMENTS} settlements with a population`);
    for (const [type, id, payload] of [
      ['campaign.create', campaignId, { name: 'Growth bench' }],
      ['kingdom.create', 'k', { name: 'Kingdom' }],
      ['location.create', 'l', { name: 'Place', geometry: { type: 'Point', coordinates: [0, 0] } }],
    ] as const) {
      const reply = await sendCommand(n, nn, type, campaignId, id, payload);
      if (!reply.ok) throw new Error(`${type}: ${reply.error.message}`);
    }
    const sid = (i: number) => `s${String(i).padStart(5, '0')}`;
    await sendAll(n, nn, SETTLEMENTS, (i) => [
      n,
      nn,
      'settlement.create',
      campaignId,
      sid(i),
      { kingdomId: 'k', locationId: 'l', name: sid(i), level: 10 },
    ]);
    const population = (i: number, value: number): Parameters<typeof sendCommand> => [
      n,
      nn,
      'state-variable.set',
      campaignId,
      `settlement~${sid(i)}`,
      { ownerType: 'settlement', ownerId: sid(i), key: 'population', value: { type: 'number', value } },
    ];
    await sendAll(n, nn, SETTLEMENTS, (i) => population(i, 100));
    await projectedTo(n, nn, await lastSeq(n, nn));

    // The baseline: the same number of the same command (a population set per settlement), end to end.
    log(`baseline: ${SETTLEMENTS} plain state-variable.set commands, 64 senders, until projected`);
    const plainStart = performance.now();
    await sendAll(n, nn, SETTLEMENTS, (i) => population(i, 200));
    await projectedTo(n, nn, await lastSeq(n, nn));
    const plainSeconds = (performance.now() - plainStart) / 1000;

    // The tick: one growth window a few seconds after a scheduler replica is up (cron fields in local time).
    const at = new Date(Date.now() + 12_000);
    at.setMilliseconds(0);
    const scheduler = await ctx.start({
      env: {
        CRON_SETTLEMENT_GROWTH: `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`,
        CRON_STRUCTURE_MAINTENANCE: NEVER,
        CRON_EVENT_EXPIRATION: NEVER,
      },
      services: ['scheduler-service'],
    });
    const before = await lastSeq(n, nn);
    const target = before + SETTLEMENTS;
    log(`growth tick at ${at.toISOString()}: waiting for ${SETTLEMENTS} growth commands to be appended and projected`);
    await projectedTo(n, nn, target);
    const tickSeconds = (Date.now() - at.getTime()) / 1000;
    const appended = (await lastSeq(n, nn)) - before;

    const url = scheduler.urls['scheduler-service']!;
    const roundTrips = await metricValue(url, 'cm_scheduler_lock_round_trips_total', 'settlement-growth');
    const ticks =
      (await metricValue(url, 'cm_scheduler_lock_acquisitions_total', 'settlement-growth')) +
      (await metricValue(url, 'cm_scheduler_lock_contention_total', 'settlement-growth'));

    const plainRate = SETTLEMENTS / plainSeconds;
    const tickRate = SETTLEMENTS / tickSeconds;
    const rows = [
      row(`plain state-variable.set commands, 64 senders, ${SETTLEMENTS} appended and projected`, plainRate, 'cmds/s'),
      row(
        `growth tick over ${SETTLEMENTS} settlements, appended and projected (from the cron's fire time)`,
        tickRate,
        'cmds/s',
        { rawLimit: plainRate },
      ),
      row('growth tick / plain commands', tickRate / plainRate, '×', { target: { op: '>=', value: 0.5 } }),
      row('cron lock Redis round trips per tick', ticks ? roundTrips / ticks : null, 'round trips', {
        target: { op: '<=', value: 2 },
      }),
    ];
    return {
      settings: {
        settlements: SETTLEMENTS,
        schedulerDefaults:
          'SCHEDULER_BATCH_SIZE 500, SCHEDULER_CONCURRENCY 3, SCHEDULER_COMMAND_CONCURRENCY 64, one replica',
      },
      data: {
        scheduler: {
          plainSeconds: round(plainSeconds, 2),
          tickSeconds: round(tickSeconds, 2),
          appended,
          lockRoundTrips: roundTrips,
          ticks,
        },
      },
      rows,
    };
  });
}
