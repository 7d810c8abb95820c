import { AppError, ErrorCode, type AnyJob } from '@cm/contracts';
import type { SchedulerReadModel } from '../read-model/read-model.adapter.js';
import { resolveSettings, SETTING_KEYS } from '../work/settings.js';
import { growthSteps, maintenanceSteps, worldEventSteps, type EntitySteps } from '../work/timed-work.js';
import type { CommandSender } from './command-sender.js';

export interface JobResult {
  /** Commands that changed something now (not duplicates, not "nothing to do"). */
  applied: number;
  entities: number;
}

/** What a job needs from the rest of the service. */
export interface JobContext {
  readModel: SchedulerReadModel;
  sender: CommandSender;
  commandConcurrency: number;
}

/**
 * Runs one job: reads what it needs from the read model, asks the pure core for commands, sends them. Entities in
 * `job.skip` (finished by an attempt that was parked) are left out, so a replay applies nothing twice.
 */
export async function runJob(job: AnyJob, ctx: JobContext): Promise<JobResult> {
  const now = new Date();
  const skip = new Set(job.skip ?? []);
  let steps: EntitySteps[];
  switch (job.kind) {
    case 'settlement-growth':
    case 'structure-maintenance': {
      const settings = resolveSettings(
        await ctx.readModel.campaignSettings(job.campaignId, job.branchId, SETTING_KEYS),
      );
      const batch = {
        campaignId: job.campaignId,
        branchId: job.branchId,
        afterId: job.payload.afterId,
        toId: job.payload.toId,
      };
      steps =
        job.kind === 'settlement-growth'
          ? growthSteps(job, await ctx.readModel.settlements(batch), settings, now.toISOString())
          : maintenanceSteps(job, await ctx.readModel.structures(batch), settings, now.toISOString());
      break;
    }
    case 'world-event-activate':
    case 'world-event-expire': {
      const row = await ctx.readModel.worldEvent(job.campaignId, job.branchId, job.payload.worldEventId);
      // The job can outrun the projection of the event's scheduling by a few milliseconds: retry, do not drop it.
      if (!row)
        throw new AppError(ErrorCode.NOT_FOUND, `world event ${job.payload.worldEventId} is not in the read model yet`);
      steps = [{ entityId: row.id, commands: worldEventSteps(job, row, now) }];
      break;
    }
    default:
      return unknownJob(job);
  }
  steps = steps.filter((s) => !skip.has(s.entityId) && s.commands.length > 0);
  const { applied } = await ctx.sender.sendSteps(steps, ctx.commandConcurrency);
  return { applied, entities: steps.length };
}

function unknownJob(job: never): never {
  throw new AppError(ErrorCode.VALIDATION, `unknown job kind ${(job as AnyJob).kind}`);
}
