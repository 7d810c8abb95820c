import net from 'node:net';

export interface HttpResponse {
  status: number;
  body: string;
}

interface Pending {
  bytes: string;
  resolve: (r: HttpResponse) => void;
  reject: (e: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Parses one HTTP/1.1 response from the start of `buf`: the response and the bytes it used, or nothing while it is
 * incomplete. Bodies come with `Content-Length` or chunked; a response with neither is read to the end of the
 * connection, which keep-alive servers do not send.
 */
export function parseResponse(buf: Buffer): { response: HttpResponse; used: number } | undefined {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  let length: number | undefined;
  let chunked = false;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
    else if (name === 'transfer-encoding' && /chunked/i.test(line.slice(colon + 1))) chunked = true;
  }
  const start = headerEnd + 4;
  if (!chunked) {
    if (length === undefined) throw new Error(`response without Content-Length or chunked encoding (status ${status})`);
    if (buf.length < start + length) return undefined;
    return { response: { status, body: buf.toString('utf8', start, start + length) }, used: start + length };
  }
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const end = buf.indexOf(HEADER_END, lineEnd);
      if (end < 0) return undefined;
      return { response: { status, body: Buffer.concat(parts).toString('utf8') }, used: end + 4 };
    }
    if (buf.length < dataStart + size + 2) return undefined;
    parts.push(buf.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** One keep-alive connection with one request in flight at a time. */
class Connection {
  private socket: net.Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onIdle: (c: Connection) => void,
  ) {}

  send(p: Pending): void {
    this.current = p;
    if (!this.socket || this.socket.destroyed) this.connect();
    this.socket!.write(p.bytes);
  }

  private connect(): void {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (e: Error) => {
      if (this.socket !== socket) return; // an earlier connection's late event
      const p = this.current;
      this.current = undefined;
      this.socket = undefined;
      socket.destroy();
      if (p) p.reject(e);
      else return;
      this.onIdle(this);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    this.socket = socket;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let parsed: ReturnType<typeof parseResponse>;
    try {
      parsed = parseResponse(this.buffer);
    } catch (e) {
      this.socket?.destroy(e as Error);
      return;
    }
    if (!parsed) return;
    this.buffer = this.buffer.subarray(parsed.used);
    const p = this.current;
    this.current = undefined;
    p?.resolve(parsed.response);
    this.onIdle(this);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * The benchmark's HTTP/1.1 client: up to `connections` keep-alive connections, one request in flight on each,
 * requests written as one pre-formatted string and responses parsed by hand. The load generator shares the
 * machine's two cores with the system it measures, so it has to be cheap: node:http and undici spent several
 * times its CPU per request (docs/perf.md; `npm run bench` reports the benchmark client's CPU per request next
 * to each service's).
 */
export class KeepAliveClient {
  private readonly host: string;
  private readonly port: number;
  private readonly idle: Connection[] = [];
  private readonly queue: Pending[] = [];
  private readonly all: Connection[] = [];

  constructor(
    baseUrl: string,
    private readonly connections: number,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  request(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse> {
    let bytes = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) bytes += `${name}: ${value}\r\n`;
    if (body !== undefined)
      bytes += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    else bytes += '\r\n';
    return new Promise((resolve, reject) => {
      const p: Pending = { bytes, resolve, reject };
      const c = this.idle.pop() ?? this.open();
      if (c) c.send(p);
      else this.queue.push(p);
    });
  }

  private open(): Connection | undefined {
    if (this.all.length >= this.connections) return undefined;
    const c = new Connection(this.host, this.port, (conn) => {
      const next = this.queue.shift();
      if (next) conn.send(next);
      else this.idle.push(conn);
    });
    this.all.push(c);
    return c;
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}
