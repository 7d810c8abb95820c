import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, natsNames, type Command } from '@cm/contracts';
import { closeNats, connectNats, type Nats } from '@cm/platform';
import { freePort } from '@cm/testkit';
import { testLogger } from '../projector/int-support.test-util.js';
import { CommandGateway } from './command-gateway.js';
import { OwnNatsServer } from './nats-server.test-util.js';

// The gateway against a nats-server of the test's own, killed under it: a command in flight when the connection
// drops is answered UNAVAILABLE (not left to wait out its timeout), and one sent while it is down is refused at once.
const names = natsNames(`t${randomBytes(5).toString('hex')}`);
let server: OwnNatsServer;
let nats: Nats;
let responder: Nats;

beforeAll(async () => {
  server = new OwnNatsServer(await freePort());
  await server.start();
  nats = await connectNats(server.url, 'gateway-outage-test', testLogger());
  responder = await connectNats(server.url, 'gateway-outage-responder', testLogger());
});

afterAll(async () => {
  await closeNats(nats);
  await closeNats(responder);
  await server?.dispose();
});

const command = (commandId: string): Command =>
  ({
    commandId,
    type: 'kingdom.rename',
    campaignId: 'c',
    branchId: 'main',
    aggregateId: 'k',
    payload: { name: 'x' },
    actor: { userId: 'alice' },
    correlationId: commandId,
    issuedAt: new Date().toISOString(),
  }) as Command;

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe('CommandGateway while NATS is down', () => {
  it('answers a command in flight UNAVAILABLE when the connection drops, and refuses new ones at once', async () => {
    // A command service that takes the request and never answers: the reply cannot come before the kill.
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    responder.nc.subscribe(names.commandWildcard, { callback: () => received() });
    await responder.nc.flush();
    const gateway = new CommandGateway({
      nc: nats.nc,
      link: nats.link,
      names,
      timeoutMs: 60_000,
      logger: testLogger(),
    });

    const inFlight = refusal(gateway.send(command('in-flight')));
    await arrived;
    await server.kill('SIGKILL');
    const dropped = await inFlight;
    expect(dropped.code).toBe('UNAVAILABLE');
    expect(dropped.details).toMatchObject({ commandId: 'in-flight', retryAfterSeconds: 1 });

    const refused = await refusal(gateway.send(command('while-down')));
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toMatch(/nats disconnected for \d+ s/);
    expect(refused.details).toMatchObject({ commandId: 'while-down', retryAfterSeconds: 1 });
    gateway.close();
    await server.start();
  }, 60_000);
});
