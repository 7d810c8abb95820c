import { Migration } from '@mikro-orm/migrations';

/**
 * `parked_event`: commits a projection could not apply after its bounded retries (poison events), and the later
 * commits of the same aggregate held back behind them so that order holds per aggregate. `cm parked` lists them,
 * `cm parked retry` re-applies them, `cm parked skip` marks one `skipped` with the operator's reason.
 */
export class Migration20261129231000_parked_event extends Migration {
  override name = 'Migration20261129231000_parked_event';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(
      `create table ${s}.parked_event (projection text not null, seq bigint not null, aggregate text not null, event_types text not null, ` +
        `error text not null, attempts int not null, status text not null, reason text null, ` +
        `parked_at timestamptz not null default now(), updated_at timestamptz not null default now(), primary key (projection, seq))`,
    );
    // What the projector asks on every start and `cm lag` on every refresh: the aggregates still held back.
    this.addSql(`create index parked_event_status_index on ${s}.parked_event (projection, status)`);
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(`drop table if exists ${s}.parked_event`);
  }
}
