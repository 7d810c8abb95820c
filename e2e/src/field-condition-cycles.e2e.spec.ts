import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames, type CommandReply, type NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import {
  closeTestNats,
  CommandClient,
  connectTestNats,
  dropNamespace,
  startCommandService,
  testNamespace,
  type RunningCommandService,
} from '@cm/testkit';

// Cycles among computed fields are refused at definition by the real command service (its built process, on a
// namespace of our own): the shell loads the sibling conditions of the campaign branch (its lineage included)
// and the decider refuses a definition that closes a cycle, naming the path.
let service: RunningCommandService | undefined;
let nats: Nats;
let names: NatsNames;
let commands: CommandClient;
const C = 'cyc';

const reads = (...fields: string[]) => ({ '+': [...fields.map((f) => ({ var: `computed.${f}` })), 1] });
const define = (id: string, field: string, expression: unknown, opts: { branchId?: string; active?: boolean } = {}) =>
  commands.send(
    'field-condition.define',
    C,
    id,
    { entityType: 'settlement', field, expression: expression as never, priority: 0, active: opts.active ?? true },
    { branchId: opts.branchId },
  );

function refusal(reply: CommandReply): { code: string; message: string; details?: Record<string, unknown> } {
  if (reply.ok) throw new Error('expected a refusal, the command was accepted');
  return reply.error;
}

beforeAll(async () => {
  const namespace = testNamespace();
  names = natsNames(namespace);
  nats = await connectTestNats('field-condition-cycles-test');
  service = await startCommandService(namespace);
  commands = new CommandClient(nats, namespace);
  await commands.must('campaign.create', C, C, { name: 'Cycles' });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('field conditions that would close a cycle', () => {
  it('refuses a 2-cycle with VALIDATION and the path', async () => {
    expect((await define('two-a', 'ta', reads('tb'))).ok).toBe(true);
    const error = refusal(await define('two-b', 'tb', reads('ta')));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('tb -> ta -> tb');
    expect(error.details?.cycle).toEqual(['tb', 'ta', 'tb']);
  });
  it('refuses a 3-cycle with VALIDATION and the path, and accepts the chain before it', async () => {
    expect((await define('three-a', 'xa', reads('xb'))).ok).toBe(true);
    expect((await define('three-b', 'xb', reads('xc'))).ok).toBe(true);
    expect((await define('three-c', 'xc', { var: 'level' })).ok).toBe(true); // a chain xa -> xb -> xc
    const error = refusal(
      await commands.send('field-condition.update', C, 'three-c', { expression: reads('xa') as never }),
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('xc -> xa -> xb -> xc');
    expect(refusal(await define('three-d', 'xc', reads('xa'))).message).toContain('xc -> xa -> xb -> xc');
  });
  it('accepts what would close a cycle once a condition on it is deactivated, and refuses reactivating it', async () => {
    expect((await define('deact-a', 'da', reads('db'))).ok).toBe(true);
    expect(refusal(await define('deact-b', 'db', reads('da'))).code).toBe('VALIDATION');
    await commands.must('field-condition.update', C, 'deact-a', { active: false });
    expect((await define('deact-b', 'db', reads('da'))).ok).toBe(true);
    const error = refusal(await commands.send('field-condition.update', C, 'deact-a', { active: true }));
    expect(error.message).toContain('da -> db -> da');
  });
  it('counts no deleted condition', async () => {
    expect((await define('del-a', 'ea', reads('eb'))).ok).toBe(true);
    await commands.must('field-condition.delete', C, 'del-a', {});
    expect((await define('del-b', 'eb', reads('ea'))).ok).toBe(true);
  });
  it('sees the conditions a branch inherits, and not those of a branch forked off it', async () => {
    expect((await define('lin-a', 'la', reads('lb'))).ok).toBe(true);
    await commands.must('branch.fork', C, 'alt', { parentBranchId: 'main', name: 'Alternate' });
    expect(refusal(await define('lin-b', 'lb', reads('la'), { branchId: 'alt' })).message).toContain('lb -> la -> lb');
    // Main sees nothing of alt's own conditions: alt's lin-c does not block main's lin-d.
    expect((await define('lin-c', 'lc', reads('ld'), { branchId: 'alt' })).ok).toBe(true);
    expect((await define('lin-d', 'ld', reads('lc'))).ok).toBe(true);
  });
});
