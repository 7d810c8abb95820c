import { ID_PATTERN } from '@cm/contracts';
import { DEVELOPMENT_JWT_SECRET, signToken } from '@cm/platform';
import { DEMO_CAMPAIGN_ID, DEMO_USER, seedDemoCampaign } from '../seed/demo-campaign.js';
import { seedSizedCampaign } from '../seed/sized-campaign.js';
import { CliFailure, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { progressBar } from './progress.js';

const help = `
Usage: cm seed [--url http://127.0.0.1:4000/graphql] [--user ${DEMO_USER}]
       cm seed --size <n> [--campaign <id>] [--concurrency 16] [--json] [--url …] [--user …]

Writes the demo campaign "The Shattered Crown" (id ${DEMO_CAMPAIGN_ID}) through the GraphQL API: two kingdoms,
locations (points and polygons), settlements, structures, state variables, a field condition, a world event,
and a forked branch with changes of its own. Idempotent: run it again and nothing changes.

With --size: a generated campaign of n writes, for demos and load tests: per hundred, 2 kingdoms, 12 locations
and 12 settlements, 40 structures, 30 state variables and 4 field conditions, written through the same API
with a progress bar (events/s, ETA) on stderr; it returns once the read model holds the last write.

Options:
  --url <url>     GraphQL endpoint (default $GRAPHQL_URL or http://127.0.0.1:4000/graphql)
  --user <id>     owner of the demo campaign; a token is signed for it with $JWT_SECRET (default ${DEMO_USER})
  --token <jwt>   use this bearer token instead of signing one
  --size <n>      write a generated campaign of n writes instead of the demo campaign
  --campaign <id> id of the generated campaign (default gen-<n>-<random>)
  --concurrency <k>  writes in flight (default 16)
  --json          print the generated campaign's summary as JSON
  -h, --help      show this help
`;

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: `write the demo campaign "The Shattered Crown" through GraphQL (idempotent)`,
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      url: { type: 'string' },
      user: { type: 'string', default: DEMO_USER },
      token: { type: 'string' },
      size: { type: 'string' },
      campaign: { type: 'string' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (!args) return 0;
    const url = (args.values.url as string | undefined) ?? process.env.GRAPHQL_URL ?? 'http://127.0.0.1:4000/graphql';
    const user = args.values.user as string;
    if (!ID_PATTERN.test(user))
      throw new UsageError(`--user must be 1-64 characters of A-Z a-z 0-9 _ -; got ${JSON.stringify(user)}`);
    const token =
      (args.values.token as string | undefined) ??
      (await signToken(process.env.JWT_SECRET || DEVELOPMENT_JWT_SECRET, user));
    if (args.values.size !== undefined) return seedSized(url, token, args.values);
    try {
      const s = await seedDemoCampaign(url, token, (line) => process.stderr.write(`  ${line}\n`));
      process.stdout.write(
        `demo campaign ${DEMO_CAMPAIGN_ID}: ${s.created} written, ${s.existing} already there (last seq ${s.lastSeq})\n`,
      );
      return 0;
    } catch (e) {
      throw new CliFailure((e as Error).message);
    }
  },
};

async function seedSized(
  url: string,
  token: string,
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  const size = Number(values.size);
  if (!Number.isSafeInteger(size) || size < 1 || size > 10_000_000)
    throw new UsageError(
      `--size must be a whole number of writes from 1 to 10000000; got ${JSON.stringify(values.size)}`,
    );
  const concurrency = values.concurrency === undefined ? 16 : Number(values.concurrency);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new UsageError('--concurrency must be 1..256');
  const campaignId = (values.campaign as string | undefined) ?? `gen-${size}-${Math.random().toString(36).slice(2, 8)}`;
  if (!ID_PATTERN.test(campaignId))
    throw new UsageError(`--campaign must be 1-64 characters of A-Z a-z 0-9 _ -; got ${JSON.stringify(campaignId)}`);
  const bar = progressBar(process.stderr, `seeding ${campaignId}`);
  try {
    const started = Date.now();
    const r = await seedSizedCampaign(url, token, campaignId, size, {
      concurrency,
      progress: (done, total) => bar.update(done, total),
    });
    bar.end();
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      campaignId,
      ...r,
      seconds: Number(seconds.toFixed(2)),
      writesPerSecond: Math.round(r.writes / seconds),
    };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(summary)}\n`
        : `campaign ${campaignId}: ${r.writes} writes in ${summary.seconds} s (${summary.writesPerSecond}/s), last seq ${r.lastSeq}\n`,
    );
    return 0;
  } catch (e) {
    bar.end();
    throw new CliFailure((e as Error).message);
  }
}
