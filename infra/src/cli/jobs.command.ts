import { headers as natsHeaders } from '@nats-io/transport-node';
import { JOB_ID_HEADER, jobSubjects, natsNames, type NatsNames, type ParkedJob } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { withNats } from '../nats-admin.js';
import { CliFailure, namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { formatTable } from './table.js';

const help = `
Usage: cm jobs parked [--namespace cm] [--json]
       cm jobs retry <jobId> [--namespace cm]

The scheduler's dead-letter subjects (<prefix>.job.dead.<kind>.<jobId> on <PREFIX>_JOBS): jobs that failed every
attempt (SCHEDULER_JOB_MAX_ATTEMPTS), each with its last error.

  parked          lists them: job id, kind, campaign/branch, attempts, when, error
  retry <jobId>   puts the job back on the queue once, without the entities its last attempt had finished, and
                  removes the parked copy; fix the cause first (a bad campaign setting, say)

Options:
  --namespace <ns>   namespace prefix (default $CM_NAMESPACE or cm)
  --json             machine-readable output (parked)
  -h, --help         show this help
`;

export interface ParkedEntry extends ParkedJob {
  seq: number;
}

/** Every parked job of a namespace, oldest first. */
export async function listParked(nats: Nats, names: NatsNames): Promise<ParkedEntry[]> {
  const subjects = jobSubjects(names);
  const info = await nats.jsm.streams
    .info(names.jobStream, { subjects_filter: subjects.deadWildcard })
    .catch((e: Error) => {
      throw new CliFailure(`stream ${names.jobStream}: ${e.message} (run \`npm run cm -- provision\`)`);
    });
  const out: ParkedEntry[] = [];
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    const m = await nats.jsm.streams.getMessage(names.jobStream, { last_by_subj: subject });
    if (m) out.push({ ...m.json<ParkedJob>(), seq: m.seq });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Replays one parked job: published again on its run subject with a new message id (the old one may still be in
 * the duplicate window) and the finished entities to skip, then the parked copy is deleted. A second retry of the
 * same id finds nothing parked and says so.
 */
export async function retryParked(nats: Nats, names: NatsNames, jobId: string): Promise<{ seq: number }> {
  const parked = (await listParked(nats, names)).find((p) => p.job.jobId === jobId);
  if (!parked) throw new CliFailure(`no parked job ${jobId} in ${names.jobStream}`);
  const subjects = jobSubjects(names);
  const h = natsHeaders();
  h.set(JOB_ID_HEADER, jobId);
  const job = { ...parked.job, skip: parked.completed };
  const ack = await nats.js.publish(subjects.run(job.kind, jobId), JSON.stringify(job), {
    msgID: `retry:${jobId}:${parked.seq}`,
    headers: h,
  });
  await nats.jsm.streams.deleteMessage(names.jobStream, parked.seq);
  return { seq: ack.seq };
}

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: "list the scheduler's parked jobs, or replay one",
  help,
  async run(argv) {
    const args = parseCommandArgs(
      this,
      argv,
      { namespace: { type: 'string' }, json: { type: 'boolean', default: false } },
      true,
    );
    if (!args) return 0;
    const names = natsNames(namespaceOption(args.values.namespace as string | undefined));
    const [action, id, ...extra] = args.positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (action === 'parked') {
      const parked = await withNats('cm-cli:jobs', (nats) => listParked(nats, names));
      if (args.values.json) process.stdout.write(`${JSON.stringify(parked, null, 2)}\n`);
      else if (!parked.length) process.stdout.write(`no parked jobs in ${names.jobStream}\n`);
      else {
        const rows = parked.map((p) => [
          p.job.jobId,
          p.job.kind,
          `${p.job.campaignId}/${p.job.branchId}`,
          String(p.attempts),
          p.parkedAt,
          `${p.error.code}: ${p.error.message}`,
        ]);
        process.stdout.write(
          `${formatTable(['job', 'kind', 'campaign/branch', 'attempts', 'parked at', 'error'], rows)}\n`,
        );
      }
      return 0;
    }
    if (action === 'retry') {
      if (!id) throw new UsageError('retry needs a job id (see `cm jobs parked`)');
      const { seq } = await withNats('cm-cli:jobs', (nats) => retryParked(nats, names, id));
      process.stdout.write(`job ${id} queued again (${names.jobStream} seq ${seq})\n`);
      return 0;
    }
    throw new UsageError(
      action ? `unknown action ${JSON.stringify(action)}: parked or retry` : 'an action is needed: parked or retry',
    );
  },
};
