import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEFAULTS } from '@cm/platform';
import { loadMembers } from './membership.pg.js';

// Against the real Postgres, in a schema of its own shaped like the read model's two tables the gateway reads.
const url = process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL;
const schema = `rtm_${randomBytes(4).toString('hex')}`;
const client = new pg.Client({ connectionString: url });

beforeAll(async () => {
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.query(`create table ${schema}.projection_checkpoint (name text primary key, seq bigint not null)`);
  await client.query(
    `create table ${schema}.campaign_member (campaign_id text not null, user_id text not null, role text not null, deleted boolean not null default false, last_seq bigint not null, primary key (campaign_id, user_id))`,
  );
  await client.query(`insert into ${schema}.projection_checkpoint values ('postgres', 42), ('other', 7)`);
  await client.query(
    `insert into ${schema}.campaign_member values ('crown', 'gm', 'owner', false, 1), ('crown', 'gone', 'player', true, 5), ('other', 'p', 'viewer', false, 9)`,
  );
});

afterAll(async () => {
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

describe('loadMembers', () => {
  it('reads live members and the postgres projection checkpoint in one snapshot', async () => {
    const snapshot = await loadMembers(url, schema);
    expect(snapshot.checkpoint).toBe(42);
    expect(snapshot.members.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { campaignId: 'crown', userId: 'gm', role: 'owner' },
      { campaignId: 'other', userId: 'p', role: 'viewer' },
    ]);
  });

  it('reads a read model that does not exist yet as empty at checkpoint 0', async () => {
    expect(await loadMembers(url, `${schema}_missing`)).toEqual({ checkpoint: 0, members: [] });
  });
});
