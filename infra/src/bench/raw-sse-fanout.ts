import net from 'node:net';

/**
 * The raw limit of the broadcast row, run as a process of its own like the gateway: plain `node:net`, every
 * connection answered with an SSE head, and on each message from the parent one `Buffer` written to every socket
 * (no rooms, auth, queues or metrics). The same client reads it as it reads the gateway, so the end-to-end figure
 * of each, on the same cores and in the same minute, can be compared.
 */
const HEAD = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n');
const sockets = new Set<net.Socket>();

const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.once('data', () => {
    socket.write(HEAD);
    sockets.add(socket);
  });
  socket.once('close', () => sockets.delete(socket));
});

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
process.on('message', (m: { seq: number; dataBytes: number }) => {
  const frame = Buffer.from(`id: ${m.seq}\ndata: ${'x'.repeat(m.dataBytes)}\n\n`);
  const started = performance.now();
  for (const socket of sockets) socket.write(frame);
  process.send!({ seq: m.seq, lastWriteMs: performance.now() - started, sockets: sockets.size });
});
process.on('disconnect', () => process.exit(0));
