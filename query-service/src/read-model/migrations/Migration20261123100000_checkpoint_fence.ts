import { Migration } from '@mikro-orm/migrations';

/**
 * `cm_checkpoint_moved()`: raises SQLSTATE `CMCP1`. The projector writes a batch without forks as one statement
 * (its upserts and the checkpoint's move from the sequence it expects), and calls this from that statement when
 * the checkpoint was not where it expected, so the whole statement, rows included, is undone.
 */
export class Migration20261123100000_checkpoint_fence extends Migration {
  override name = 'Migration20261123100000_checkpoint_fence';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(
      `create or replace function ${s}.cm_checkpoint_moved() returns bigint language plpgsql as $$ ` +
        `begin raise exception 'projection checkpoint moved under this writer' using errcode = 'CMCP1'; end $$`,
    );
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(`drop function if exists ${s}.cm_checkpoint_moved()`);
  }
}
