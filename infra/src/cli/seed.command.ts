import { ID_PATTERN } from '@cm/contracts';
import { DEVELOPMENT_JWT_SECRET, signToken } from '@cm/platform';
import { DEMO_CAMPAIGN_ID, DEMO_USER, seedDemoCampaign } from '../seed/demo-campaign.js';
import { CliFailure, parseCommandArgs, UsageError, type CliCommand } from './command.js';

const help = `
Usage: cm seed [--url http://127.0.0.1:4000/graphql] [--user ${DEMO_USER}]

Writes the demo campaign "The Shattered Crown" (id ${DEMO_CAMPAIGN_ID}) through the GraphQL API: two kingdoms,
locations (points and polygons), settlements, structures, state variables, a field condition, a world event,
and a forked branch with changes of its own. Idempotent: run it again and nothing changes.

Options:
  --url <url>     GraphQL endpoint (default $GRAPHQL_URL or http://127.0.0.1:4000/graphql)
  --user <id>     owner of the demo campaign; a token is signed for it with $JWT_SECRET (default ${DEMO_USER})
  --token <jwt>   use this bearer token instead of signing one
  -h, --help      show this help
`;

export const seedCommand: CliCommand = {
  name: 'seed',
  summary: `write the demo campaign "The Shattered Crown" through GraphQL (idempotent)`,
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, { url: { type: 'string' }, user: { type: 'string', default: DEMO_USER }, token: { type: 'string' } });
    if (!args) return 0;
    const url = (args.values.url as string | undefined) ?? process.env.GRAPHQL_URL ?? 'http://127.0.0.1:4000/graphql';
    const user = args.values.user as string;
    if (!ID_PATTERN.test(user)) throw new UsageError(`--user must be 1-64 characters of A-Z a-z 0-9 _ -; got ${JSON.stringify(user)}`);
    const token = (args.values.token as string | undefined) ?? (await signToken(process.env.JWT_SECRET || DEVELOPMENT_JWT_SECRET, user));
    try {
      const s = await seedDemoCampaign(url, token, (line) => process.stderr.write(`  ${line}\n`));
      process.stdout.write(`demo campaign ${DEMO_CAMPAIGN_ID}: ${s.created} written, ${s.existing} already there (last seq ${s.lastSeq})\n`);
      return 0;
    } catch (e) {
      throw new CliFailure((e as Error).message);
    }
  },
};
