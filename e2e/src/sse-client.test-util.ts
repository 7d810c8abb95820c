import http from 'node:http';

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
  private req: http.ClientRequest | undefined;
  private waiters: (() => void)[] = [];

  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader();
    return new Promise((resolve, reject) => {
      reader.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        reader.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buffer = '';
        let current: Partial<SseMessage> & { data?: string } = {};
        res.on('data', (chunk: string) => {
          if (reader.status !== 200) {
            reader.body += chunk;
            return;
          }
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (current.data !== undefined) {
                if (current.id !== undefined) reader.lastEventId = current.id;
                reader.messages.push({ id: current.id, event: current.event ?? 'message', data: current.data });
              }
              current = {};
              continue;
            }
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
            else if (field === 'id') current.id = value;
            else if (field === 'event') current.event = value;
          }
          reader.wake();
        });
        res.on('end', () => {
          reader.ended = true;
          reader.wake();
        });
        res.on('error', () => undefined);
        resolve(reader);
      });
      reader.req.on('error', (e) => (reader.status ? ((reader.ended = true), reader.wake()) : reject(e)));
    });
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

  close(): void {
    this.req?.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}
