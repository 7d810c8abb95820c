import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ErrorCode,
  REPLAY_PROJECTIONS,
  type ErrorPayload,
  type EventAddress,
  type ReplayProjection,
  type ReplayReport,
  type RowChange,
} from '@cm/contracts';
import { repoRoot } from '../paths.js';
import { CliFailure, UsageError } from './command.js';

/** The projection `--into` names, or a usage error with the code that says which exist. */
export function projectionOption(value: string | undefined): ReplayProjection | undefined {
  if (value === undefined) return undefined;
  if (!(REPLAY_PROJECTIONS as readonly string[]).includes(value))
    throw new UsageError(
      `${ErrorCode.VALIDATION}: --into ${JSON.stringify(value)} is no projection a replay can write into (${REPLAY_PROJECTIONS.join(', ')})`,
    );
  return value as ReplayProjection;
}

/** Collects the distinct aggregates of the selected events, in the order they first appear. */
export class AggregateSet {
  private readonly seen = new Map<string, EventAddress>();

  add(a: EventAddress): void {
    const id = `${a.campaignId}.${a.branchId}.${a.entityType}.${a.entityId}`;
    if (!this.seen.has(id))
      this.seen.set(id, {
        campaignId: a.campaignId,
        branchId: a.branchId,
        entityType: a.entityType,
        entityId: a.entityId,
      });
  }

  list(): EventAddress[] {
    return [...this.seen.values()];
  }
}

/**
 * Runs query-service/dist/projector/replay.main.js (the projections' code lives in the query service) with the
 * aggregates on stdin and this environment's NATS, Postgres and Redis settings; resolves to its report, or fails
 * with the code and message it gives.
 */
export function runReplayProcess(
  projection: ReplayProjection,
  aggregates: readonly EventAddress[],
  dryRun: boolean,
  env: NodeJS.ProcessEnv,
): Promise<ReplayReport> {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'query-service/dist/projector/replay.main.js'),
      '--projection',
      projection,
      ...(dryRun ? ['--dry-run'] : []),
    ],
    { env, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.end(JSON.stringify(aggregates));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"'));
      let doc: (ReplayReport & { error?: undefined }) | { error: ErrorPayload } | undefined;
      try {
        doc = line ? JSON.parse(line) : undefined;
      } catch {
        doc = undefined;
      }
      if (doc?.error) reject(new CliFailure(`${doc.error.code}: ${doc.error.message}`));
      else if (code !== 0 || !doc) reject(new CliFailure(`${ErrorCode.INTERNAL}: replay process exited with ${code}`));
      else resolve(doc as ReplayReport);
    });
  });
}

const show = (value: unknown) => JSON.stringify(value);

/** The report as people read it: a header, then per row its change and the fields before → after, then totals. */
export function formatReport(report: ReplayReport): string {
  const lines = [
    `${report.dryRun ? 'dry run, nothing written: ' : ''}re-projected ${report.aggregates} aggregate(s), ${report.events} event(s) up to sequence ${report.uptoSeq} (the ${report.projection} checkpoint) into ${report.projection}`,
  ];
  const counts = new Map<RowChange['change'], number>();
  for (const row of report.rows) {
    counts.set(row.change, (counts.get(row.change) ?? 0) + 1);
    const key = Object.entries(row.key)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const verb =
      report.dryRun && row.change !== 'unchanged' && row.change !== 'newer' && row.change !== 'missing'
        ? `would be ${row.change}`
        : row.change;
    const why =
      row.change === 'newer'
        ? ` (left alone: last_seq ${row.storedSeq} is past the replay's ${row.seq})`
        : row.change === 'missing'
          ? ' (left alone: a change to a row that does not exist)'
          : '';
    lines.push(`${row.table} ${key}: ${verb}${why}`);
    for (const f of row.fields) lines.push(`    ${f.field}: ${show(f.before)} → ${show(f.after)}`);
  }
  const order: RowChange['change'][] = ['inserted', 'updated', 'deleted', 'unchanged', 'newer', 'missing'];
  lines.push(
    `${report.rows.length} row(s): ${order
      .filter((c) => counts.has(c))
      .map((c) => `${counts.get(c)} ${c}`)
      .join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
