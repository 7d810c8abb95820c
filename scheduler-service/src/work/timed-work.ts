import { createHash } from 'node:crypto';
import {
  variableAggregateId,
  type AnyJob,
  type Command,
  type VariableValue,
  type WorldEventEffect,
} from '@cm/contracts';
import type { SettlementRow, StructureRow, WorldEventRow } from '../read-model/read-model.adapter.js';
import { windowToken } from '../cron/windows.js';
import { numberValue, SETTINGS, type Settings } from './settings.js';

/**
 * The pure core of every job: rows of the read model in, commands out. Each entity gets its commands as one
 * ordered step list (windows in order, a flag after the change it follows from); command ids are job kind + target
 * + time window, so a job that runs twice, or twice at once, issues the same ids and changes nothing twice.
 */
export interface EntitySteps {
  entityId: string;
  commands: Command[];
}

const SYSTEM_ACTOR = { userId: 'system:scheduler' };

/** `sched:<kind>:<campaign>:<branch>:<target>:<window>`, hashed when it would pass the 200 characters ids may have. */
export function commandId(kind: string, campaignId: string, branchId: string, target: string, window: string): string {
  const id = `sched:${kind}:${campaignId}:${branchId}:${target}:${window}`;
  return id.length <= 200 ? id : `sched:${kind}:${createHash('sha256').update(id).digest('base64url')}`;
}

function envelope(job: AnyJob, now: string) {
  return {
    campaignId: job.campaignId,
    branchId: job.branchId,
    actor: SYSTEM_ACTOR,
    correlationId: job.correlationId,
    causationId: job.jobId,
    issuedAt: now,
  };
}

function setVariable(
  job: AnyJob,
  now: string,
  id: string,
  ownerType: WorldEventEffect['ownerType'],
  ownerId: string,
  key: string,
  value: VariableValue,
): Command {
  return {
    ...envelope(job, now),
    commandId: id,
    type: 'state-variable.set',
    aggregateId: variableAggregateId(ownerType, ownerId),
    payload: { ownerType, ownerId, key, value },
  };
}

/** Population after one window: grown by the rate, never past the level's cap, never cut down to it. */
export function grow(population: number, rate: number, level: number, perLevel: number): number {
  const cap = Math.max(level, 1) * perLevel;
  if (population >= cap) return population;
  return Math.max(0, Math.min(cap, Math.round(population * (1 + rate))));
}

export function growthSteps(
  job: AnyJob & { kind: 'settlement-growth' },
  rows: SettlementRow[],
  settings: Settings,
  now: string,
): EntitySteps[] {
  const out: EntitySteps[] = [];
  for (const row of rows) {
    const start = numberValue(row.population, `population of settlement ${row.id}`, { min: -Infinity, max: Infinity });
    if (start === undefined) continue; // no population yet: nothing to grow
    const rate =
      numberValue(row.growthRate, `growthRate of settlement ${row.id}`, SETTINGS.settlementGrowthRate) ??
      settings.settlementGrowthRate;
    const commands: Command[] = [];
    let population = start;
    for (const window of job.payload.windows) {
      const next = grow(population, rate, row.level, settings.settlementPopulationPerLevel);
      if (next === population) continue;
      population = next;
      const id = commandId('settlement-growth', job.campaignId, job.branchId, row.id, windowToken(window));
      commands.push(
        setVariable(job, now, id, 'settlement', row.id, 'population', { type: 'number', value: population }),
      );
    }
    if (commands.length) out.push({ entityId: row.id, commands });
  }
  return out;
}

export function maintenanceSteps(
  job: AnyJob & { kind: 'structure-maintenance' },
  rows: StructureRow[],
  settings: Settings,
  now: string,
): EntitySteps[] {
  const out: EntitySteps[] = [];
  for (const row of rows) {
    const decay =
      numberValue(row.decayRate, `decayRate of structure ${row.id}`, SETTINGS.structureDecayRate) ??
      settings.structureDecayRate;
    let flagged = row.needsRepair?.type === 'boolean' && row.needsRepair.value === true;
    let condition = row.condition;
    const commands: Command[] = [];
    for (const window of job.payload.windows) {
      const token = windowToken(window);
      const next = Math.max(0, Math.round(condition - decay));
      if (next !== condition) {
        condition = next;
        commands.push({
          ...envelope(job, now),
          commandId: commandId('structure-maintenance', job.campaignId, job.branchId, row.id, token),
          type: 'structure.set-condition',
          aggregateId: row.id,
          payload: { condition },
        });
      }
      if (condition < settings.structureRepairThreshold && !flagged) {
        flagged = true;
        commands.push(
          setVariable(
            job,
            now,
            commandId('structure-flag', job.campaignId, job.branchId, row.id, token),
            'structure',
            row.id,
            'needsRepair',
            { type: 'boolean', value: true },
          ),
        );
      }
    }
    if (commands.length) out.push({ entityId: row.id, commands });
  }
  return out;
}

/**
 * Activating sets the effects' variables first and then marks the event active: if the job dies in between, its
 * replay still sees `scheduled` and finishes, while the other order could leave an active event without effects.
 * An event whose expiry has also passed is expired in the same steps, so activation always comes first.
 */
export function worldEventSteps(
  job: AnyJob & { kind: 'world-event-activate' | 'world-event-expire' },
  row: WorldEventRow,
  now: Date,
): Command[] {
  const target = row.id;
  const base = { ...envelope(job, now.toISOString()), aggregateId: target, payload: {} };
  const commands: Command[] = [];
  const due = (iso: string | null) => iso !== null && Date.parse(iso) <= now.getTime();
  if (row.status === 'scheduled' && due(row.scheduledAt)) {
    (row.effects as WorldEventEffect[]).forEach((e, i) => {
      commands.push(
        setVariable(
          job,
          now.toISOString(),
          commandId('world-event-effect', job.campaignId, job.branchId, target, String(i)),
          e.ownerType,
          e.ownerId,
          e.key,
          e.value,
        ),
      );
    });
    commands.push({
      ...base,
      commandId: commandId('world-event-activate', job.campaignId, job.branchId, target, windowToken(row.scheduledAt)),
      type: 'world-event.activate',
    });
  }
  if ((row.status === 'scheduled' || row.status === 'active') && due(row.expiresAt)) {
    commands.push({
      ...base,
      commandId: commandId('world-event-expire', job.campaignId, job.branchId, target, windowToken(row.expiresAt!)),
      type: 'world-event.expire',
    });
  }
  return commands;
}
