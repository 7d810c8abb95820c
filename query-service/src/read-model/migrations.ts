import { readdir } from 'node:fs/promises';
import type { MigrationObject } from '@mikro-orm/core';

/** A migration file's name: `Migration<timestamp>_<what>`, exporting a class of the same name. */
const MIGRATION_FILE = /^(Migration\d{14}_\w+)\.(js|ts)$/;

/**
 * The read model's migrations in order (by the timestamp in their names), found in ./migrations: so a new
 * migration is one new file. Found by file name rather than by MikroORM's glob so the same code runs from `src`
 * (tests, `.ts`) and `dist` (`.js`; declaration and map files do not match).
 */
export async function readMigrations(): Promise<MigrationObject[]> {
  const dir = new URL('./migrations/', import.meta.url);
  const files = (await readdir(dir)).filter((f) => MIGRATION_FILE.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = MIGRATION_FILE.exec(file)![1]!;
      const module = (await import(new URL(file, dir).href)) as Record<string, unknown>;
      const migration = module[name];
      if (typeof migration !== 'function') throw new Error(`migration ${file} does not export a class ${name}`);
      return { name, class: migration as MigrationObject['class'] };
    }),
  );
}
