import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLArgument, GraphQLField } from 'graphql';
import { natsNames, type NatsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  createLogger,
  createMetrics,
  ensureEventStream,
  signToken,
  type Nats,
} from '@cm/platform';
import { loadQueryConfig } from '../config.js';
import { startProjector, type Projector } from '../projector/postgres-projector.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { ReadModel } from '../read-model/read-model.port.js';
import { startCommandService, type RunningCommandService } from '@cm/testkit';
import { createApi, type Api } from './create-api.js';
import { buildSchema } from './schema.js';

// Existence must not leak: a stranger gets the same answer, after the same read-model work, for a campaign that
// exists and for one that does not, on every query and mutation of the schema (so a new one is covered as soon
// as it is added). Everything is real: NATS, the command service as its own process, Postgres, the projector.
const JWT_SECRET = `int-${randomBytes(16).toString('hex')}`;
const logger = createLogger('existence-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let names: NatsNames;
let nats: Nats;
let db: Database;
let projector: Projector;
let api: Api;
let server: http.Server;
let service: RunningCommandService;
let url: string;
const tokens: Record<string, string> = {};

/** Read-model calls, to compare the work an answer cost (its timing class) without measuring time. */
let calls = 0;
const counting = (readModel: ReadModel): ReadModel =>
  new Proxy(readModel, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

const schema = buildSchema();
const EXISTING = `camp-${randomBytes(3).toString('hex')}`;
const MISSING = `camp-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const config = loadQueryConfig({
    ...process.env,
    NODE_ENV: 'test',
    CM_NAMESPACE: namespace,
    DATABASE_SCHEMA: `t_${randomBytes(5).toString('hex')}`,
    JWT_SECRET,
  });
  names = natsNames(namespace);
  nats = await connectNats(config.NATS_URL, 'existence-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  service = await startCommandService(namespace);
  db = await openDatabase(config, logger);
  await db.migrateUp();
  const registry = createMetrics('existence-test');
  projector = await startProjector({ config, logger, nats, names, db, registry });
  api = await createApi({ config, logger, nats, names, readModel: counting(db.readModel), registry });
  server = http.createServer((req, res) => api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  for (const user of ['alice', 'mallory']) tokens[user] = await signToken(JWT_SECRET, user);
  const created = await gql('alice', `mutation($id: ID!) { createCampaign(id: $id, name: "Hidden") { seq } }`, {
    id: EXISTING,
  });
  const seq = (created.data as { createCampaign: { seq: number } }).createCampaign.seq;
  const read = await gql('alice', `query($id: ID!, $s: Int) { campaign(id: $id, minSeq: $s) { id } }`, {
    id: EXISTING,
    s: seq,
  });
  expect(read.data).toEqual({ campaign: { id: EXISTING } });
});

afterAll(async () => {
  await closeServer(server);
  await api?.close();
  await projector?.stop();
  await db?.sql.run(`drop schema if exists "${db.schema}" cascade`).catch(() => undefined);
  await db?.close();
  await service?.stop();
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats?.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
  await closeNats(nats);
});

interface Answer {
  status: number;
  data?: unknown;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; details?: Record<string, unknown> } }[];
}

async function gql(user: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[user]}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as Omit<Answer, 'status'>) };
}

/** Values the command payload schemas accept, by argument name, where the type alone does not say. */
const VALID_BY_NAME: Record<string, unknown> = {
  geometry: { type: 'Point', coordinates: [10, 50] },
  scheduledAt: '2030-01-01T00:00:00.000Z',
  expression: { '==': [1, 1] },
  value: { type: 'NUMBER', value: 1 },
};

// The schema's types are read by their printed names and shapes, not graphql's `is*Type` predicates: the schema
// comes from yoga's copy of graphql, which need not be the copy this file is given (see `isGraphQLError`).
const required = (type: unknown) => String(type).endsWith('!');
const namedType = (type: unknown) => schema.getType(String(type).replace(/[[\]!]/g, ''));

/** A valid value of an input type, so that authorisation, not validation, decides the answer. */
function sample(type: unknown, name: string): unknown {
  if (name in VALID_BY_NAME) return VALID_BY_NAME[name];
  const printed = String(type).replace(/!$/, '');
  if (printed.startsWith('[')) return [];
  const named = namedType(printed) as {
    getValues?: () => { name: string }[];
    getFields?: () => Record<string, { name: string; type: unknown }>;
  } | null;
  if (named?.getValues) return named.getValues()[0]!.name;
  if (named?.getFields) {
    const fields = Object.values(named.getFields()).filter((f) => required(f.type));
    return Object.fromEntries(fields.map((f) => [f.name, sample(f.type, f.name)]));
  }
  return ({ Int: 1, Float: 1, Boolean: true } as Record<string, unknown>)[printed] ?? 'x';
}

/** The argument that names the campaign: `campaignId`, or `id` on a field of the campaign itself. */
const campaignArgument = (field: GraphQLField<unknown, unknown>): GraphQLArgument | undefined =>
  field.args.find((a) => a.name === 'campaignId') ?? field.args.find((a) => a.name === 'id');

/** The operation that calls `field` on `campaignId` with every required argument. */
function operation(
  kind: 'query' | 'mutation',
  field: GraphQLField<unknown, unknown>,
  campaignId: string,
): { query: string; variables: Record<string, unknown> } {
  const target = campaignArgument(field)!;
  const args = field.args.filter((a) => a === target || required(a.type));
  const variables = Object.fromEntries(args.map((a) => [a.name, a === target ? campaignId : sample(a.type, a.name)]));
  const declared = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const passed = args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = 'getFields' in (namedType(field.type) ?? {}) ? ' { __typename }' : '';
  return { query: `${kind}(${declared}) { ${field.name}(${passed})${selection} }`, variables };
}

/** An answer with the campaign's id taken out, to compare answers about two ids. */
const about = (answer: Answer, campaignId: string) =>
  JSON.parse(JSON.stringify(answer).replaceAll(campaignId, '<campaign>')) as Answer;

// Creating a campaign with an id that is taken is refused (ALREADY_EXISTS) whoever asks: client-chosen ids are
// the one way to learn that an id exists, and creating one where none exists is the point of the mutation.
const NOT_ADDRESSED = new Set(['createCampaign']);
const fieldsOf = (kind: 'query' | 'mutation') => {
  const type = kind === 'query' ? schema.getQueryType()! : schema.getMutationType()!;
  return Object.values(type.getFields()).filter((f) => campaignArgument(f) && !NOT_ADDRESSED.has(f.name));
};

describe('a stranger learns nothing of whether a campaign exists', () => {
  it("covers every field that names a campaign: only `me` and `campaigns` (the caller's own) name none", () => {
    const unaddressed = [
      ...Object.values(schema.getQueryType()!.getFields()),
      ...Object.values(schema.getMutationType()!.getFields()),
    ].filter((f) => !campaignArgument(f));
    expect(unaddressed.map((f) => f.name).sort()).toEqual(['campaigns', 'me']);
  });

  for (const kind of ['query', 'mutation'] as const) {
    it.each(fieldsOf(kind).map((f) => [f.name, f] as const))(
      `${kind} %s: the same answer, code and work for a campaign that exists and one that does not`,
      async (_name, field) => {
        const ask = async (campaignId: string) => {
          const op = operation(kind, field, campaignId);
          const before = calls;
          const answer = await gql('mallory', op.query, op.variables);
          return { answer: about(answer, campaignId), readModelCalls: calls - before };
        };
        const existing = await ask(EXISTING);
        const missing = await ask(MISSING);
        expect(
          existing.answer.errors?.map((e) => e.extensions?.code),
          JSON.stringify(existing.answer),
        ).toEqual(['FORBIDDEN']);
        expect(missing).toEqual(existing);
      },
    );
  }

  it('still shows a member the campaign', async () => {
    expect((await gql('alice', `query($id: ID!) { campaign(id: $id) { id } }`, { id: EXISTING })).data).toEqual({
      campaign: { id: EXISTING },
    });
  });
});
