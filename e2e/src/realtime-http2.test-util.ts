import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, type System } from '@cm/infra';

/** A self-signed certificate for 127.0.0.1 and localhost, made by openssl for this test run. */
export function selfSignedCertificate(): { certFile: string; keyFile: string; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'rt-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

/** A gateway process of its own beside a system's (gateways share nothing), with the listener `env` asks for. */
export interface ExtraGateway {
  url: string;
  child: ChildProcess;
  log: () => string;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
}

export async function startGateway(
  system: System,
  env: Record<string, string>,
  connect: (url: string) => http2.ClientHttp2Session,
  scheme: 'https' | 'http',
): Promise<ExtraGateway> {
  const port = await freePort();
  const url = `${scheme}://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, ['realtime-gateway/dist/main.js'], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, ...system.env, LOG_FORMAT: 'json', REALTIME_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gateway: ExtraGateway = {
    url,
    child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  // Ready when /ready answers 200 over HTTP/2 itself.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${output.slice(-3000)}`);
    const status = await h2Get(connect(url), '/ready').then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return gateway;
    if (Date.now() > deadline) {
      await gateway.stop();
      throw new Error(`the gateway was not ready in 60 s:\n${output.slice(-3000)}`);
    }
    await sleep(200);
  }
}

/** One GET over a session (closed afterwards): status, headers, body. */
export async function h2Get(
  session: http2.ClientHttp2Session,
  path: string,
  headers: Record<string, string> = {},
  keepSession = false,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  try {
    return await new Promise((resolve, reject) => {
      session.once('error', reject);
      const req = session.request({ ':path': path, ...headers });
      let body = '';
      let head: http2.IncomingHttpHeaders = {};
      req.setEncoding('utf8');
      req.on('response', (h) => (head = h));
      req.on('data', (c: string) => (body += c));
      req.on('end', () => resolve({ status: Number(head[':status']), headers: head, body }));
      req.on('error', reject);
      req.end();
    });
  } finally {
    if (!keepSession) session.close();
  }
}

/**
 * A `fetch` for graphql-sse's client that sends every request as a stream of one HTTP/2 session: with
 * `singleConnection` the reservation (PUT), the event stream (GET) and each operation (POST) share it.
 */
export function http2Fetch(session: http2.ClientHttp2Session): typeof fetch {
  return (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const stream = session.request({
      ':method': init.method ?? 'GET',
      ':path': url.pathname + url.search,
      ...headers,
    });
    init.signal?.addEventListener('abort', () => stream.close(http2.constants.NGHTTP2_CANCEL));
    if (init.body) stream.end(String(init.body));
    else stream.end();
    const head = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        stream.on('data', (c: Buffer) => controller.enqueue(new Uint8Array(c)));
        stream.on('end', () => controller.close());
        stream.on('error', (e) => controller.error(e));
      },
      cancel() {
        stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    });
    const status = Number(head[':status']);
    const responseHeaders = new Headers();
    for (const [k, v] of Object.entries(head))
      if (!k.startsWith(':') && v !== undefined) responseHeaders.set(k, String(v));
    return new Response([204, 304].includes(status) ? null : body, { status, headers: responseHeaders });
  }) as typeof fetch;
}
