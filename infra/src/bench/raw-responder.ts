// The floor under a command, as its own process: `node raw-responder.js <nats-url> <request-subject> <subject-prefix>`.
// For every request it does what the command service must at the least (one JetStream publish with the command's
// id as `Nats-Msg-Id` and the expected last subject sequence, then a reply with the sequence) and nothing else:
// no validation, no decision, no framework. Prints "ready" once subscribed; exits on SIGTERM.
import { randomUUID } from 'node:crypto';
import { connectNats, closeNats } from '@cm/platform';
import { toolLogger } from '../nats-admin.js';

const [url, subject, prefix] = process.argv.slice(2);
if (!url || !subject || !prefix) {
  process.stderr.write('usage: raw-responder <nats-url> <request-subject> <subject-prefix>\n');
  process.exit(2);
}
const nats = await connectNats(url, 'bench-raw-responder', toolLogger('bench-raw-responder'));
const encoder = new TextEncoder();
let n = 0;
const sub = nats.nc.subscribe(subject, {
  callback: (err, msg) => {
    if (err) return;
    const request = msg.json<{ commandId: string; aggregateId: string }>();
    const commit = encoder.encode(
      JSON.stringify({ commitId: randomUUID(), events: [{ entityId: request.aggregateId, n: (n += 1) }] }),
    );
    nats.js
      .publish(`${prefix}.${request.aggregateId}`, commit, {
        msgID: request.commandId,
        expect: { lastSubjectSequence: 0 },
      })
      .then(
        (ack) => msg.respond(JSON.stringify({ ok: true, seq: ack.seq })),
        (e: unknown) => msg.respond(JSON.stringify({ ok: false, error: { code: 'RAW', message: String(e) } })),
      );
  },
});
await nats.nc.flush();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  sub.unsubscribe();
  void closeNats(nats).then(() => process.exit(0));
});
