import { ID_PATTERN } from '@cm/contracts';
import { DEVELOPMENT_JWT_SECRET, signToken } from '@cm/platform';
import { CliFailure, parseCommandArgs, UsageError, type CliCommand } from './command.js';

const help = `
Usage: cm token <userId> [--ttl 12h]

Prints an HS256 bearer token for <userId>, signed with $JWT_SECRET (the development secret when unset), the
way the services verify it. Use it as "Authorization: Bearer <token>". Refused when NODE_ENV=production:
production tokens come from the identity provider, not from a shell.

Options:
  --ttl <duration>   lifetime, e.g. 30m, 12h, 7d (default 12h)
  -h, --help         show this help

Example:
  TOKEN=$(npm run -s cm -- token demo-gm)
`;

export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'print a development bearer token for a user id',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, { ttl: { type: 'string', default: '12h' } }, true);
    if (!args) return 0;
    const [userId, ...extra] = args.positionals;
    if (!userId) throw new UsageError('token needs a <userId>');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (!ID_PATTERN.test(userId))
      throw new UsageError(`<userId> must be 1-64 characters of A-Z a-z 0-9 _ -; got ${JSON.stringify(userId)}`);
    const ttl = args.values.ttl as string;
    if (!/^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|hours?|d|days?|w|weeks?)$/.test(ttl))
      throw new UsageError(`--ttl must look like 30m, 12h or 7d; got ${JSON.stringify(ttl)}`);
    if (process.env.NODE_ENV === 'production')
      throw new CliFailure(
        'refusing to mint a token with NODE_ENV=production: production tokens come from the identity provider',
      );
    const secret = process.env.JWT_SECRET || DEVELOPMENT_JWT_SECRET;
    if (secret.length < 16)
      throw new CliFailure('JWT_SECRET must be at least 16 characters (the services reject shorter ones)');
    process.stdout.write(`${await signToken(secret, userId, ttl)}\n`);
    return 0;
  },
};
