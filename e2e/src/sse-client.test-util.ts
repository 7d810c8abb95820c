import http from 'node:http';
import type http2 from 'node:http2';
import https from 'node:https';

/** One server-sent event as a client sees it. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A minimal EventSource-like reader over node:http (no reconnects of its own: the tests decide when and with
 * which Last-Event-ID to come back). Parses the SSE wire format as browsers do.
 */
export class SseReader {
  readonly messages: SseMessage[] = [];
  status = 0;
  body = '';
  lastEventId: string | undefined;
  ended = false;
  /** Response headers (HTTP/2 ones include `:status`). */
  headers: http.IncomingHttpHeaders = {};
  /** Comment lines (heartbeats) seen. */
  comments = 0;
  private req: http.ClientRequest | undefined;
  private h2: http2.ClientHttp2Stream | undefined;
  private readH2: (() => void) | undefined;
  private buffer = '';
  private current: Partial<SseMessage> = {};
  private waiters: (() => void)[] = [];

  /** Over HTTP/1.1 (or HTTPS with `tls` options such as `ca`). */
  static open(url: string, headers: Record<string, string> = {}, tls: https.RequestOptions = {}): Promise<SseReader> {
    const reader = new SseReader();
    const get = url.startsWith('https:') ? https.get : http.get;
    return new Promise((resolve, reject) => {
      reader.req = get(url, { ...tls, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        reader.status = res.statusCode ?? 0;
        reader.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => reader.feed(chunk));
        res.on('end', () => reader.end());
        res.on('error', () => undefined);
        resolve(reader);
      });
      reader.req.on('error', (e) => (reader.status ? reader.end() : reject(e)));
    });
  }

  /** As one stream of an HTTP/2 session: several readers multiplex on the same connection. */
  static openHttp2(
    session: http2.ClientHttp2Session,
    path: string,
    headers: Record<string, string> = {},
    opts: { paused?: boolean } = {},
  ): Promise<SseReader> {
    const reader = new SseReader();
    return new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path, accept: 'text/event-stream', ...headers });
      reader.h2 = stream;
      stream.once('response', (h) => {
        reader.status = Number(h[':status']);
        reader.headers = h;
        resolve(reader);
      });
      stream.setEncoding('utf8');
      reader.readH2 = () => stream.on('data', (chunk: string) => reader.feed(chunk));
      if (!opts.paused) reader.readH2();
      stream.on('end', () => reader.end());
      stream.on('close', () => reader.end());
      stream.on('error', (e) => (reader.status ? reader.end() : reject(e)));
    });
  }

  private feed(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') {
        const current = this.current;
        if (current.data !== undefined) {
          if (current.id !== undefined) this.lastEventId = current.id;
          this.messages.push({ id: current.id, event: current.event ?? 'message', data: current.data });
        }
        this.current = {};
        continue;
      }
      if (line.startsWith(':')) {
        this.comments += 1;
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data')
        this.current.data = this.current.data === undefined ? value : `${this.current.data}\n${value}`;
      else if (field === 'id') this.current.id = value;
      else if (field === 'event') this.current.event = value;
    }
    this.wake();
  }

  private end(): void {
    this.ended = true;
    this.wake();
  }

  /** Update messages (unnamed events) with their parsed payloads. */
  updates<
    T = { seq: number; type: string; campaignId: string; branchId: string; entityId: string; state: unknown },
  >(): T[] {
    return this.messages.filter((m) => m.event === 'message').map((m) => JSON.parse(m.data) as T);
  }

  /** Waits until `predicate` holds (checked on every chunk), or fails after `timeoutMs`. */
  async until(predicate: (r: SseReader) => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline)
        throw new Error(
          `SSE: timed out waiting for ${what}; got ${this.messages.length} messages, ended=${this.ended}, last=${JSON.stringify(this.messages.slice(-3))}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Starts reading a stream opened `paused` (a reader that took nothing until now). */
  read(): void {
    this.readH2?.();
  }

  close(): void {
    this.req?.destroy();
    this.h2?.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}
