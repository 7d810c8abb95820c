import type http from 'node:http';
import zlib from 'node:zlib';

/**
 * Headers every answer of the API carries: no MIME sniffing, no framing (clickjacking), no referrer leaking ids
 * in URLs, and HSTS in production (where TLS terminates in front of it). No Content-Security-Policy: the only
 * HTML is GraphiQL in development, whose inlined scripts a strict policy would block.
 */
export function securityHeaders(production: boolean): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-DNS-Prefetch-Control': 'off',
    'Cross-Origin-Opener-Policy': 'same-origin',
    ...(production ? { 'Strict-Transport-Security': 'max-age=15552000; includeSubDomains' } : {}),
  };
}

/** The encoding to answer with, from Accept-Encoding: brotli, then gzip, else none. */
function encodingOf(accept: string | string[] | undefined): 'br' | 'gzip' | undefined {
  const value = (Array.isArray(accept) ? accept.join(',') : (accept ?? '')).toLowerCase();
  const offered = (name: string) =>
    value.split(',').some((part) => part.split(';', 1)[0]!.trim() === name && !/;\s*q=0(\.0*)?\s*$/.test(part));
  if (offered('br')) return 'br';
  if (offered('gzip')) return 'gzip';
  return undefined;
}

/**
 * Compresses answers larger than `thresholdBytes` for a client that accepts it, whichever path wrote them (the
 * fast path writes one buffer, yoga writes through `write`/`end`): the answer is held until `end`, then sent
 * compressed or as it was. Anything but JSON (streams, GraphiQL's page) and answers already encoded pass through untouched, and
 * a small answer costs one copy and no compression (below the threshold gzip's framing outweighs what it saves).
 */
export function compressLargeAnswers(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  thresholdBytes: number,
): void {
  const encoding = encodingOf(req.headers['accept-encoding']);
  if (!encoding) return;
  const original = { writeHead: res.writeHead.bind(res), write: res.write.bind(res), end: res.end.bind(res) };
  let head: { status: number; headers: Record<string, string | number | string[]> } | undefined;
  const chunks: Buffer[] = [];
  let passThrough = false;

  const decide = (): boolean => {
    const type = String(
      res.getHeader('content-type') ?? head?.headers['content-type'] ?? head?.headers['Content-Type'] ?? '',
    );
    // Only GraphQL's JSON answers are compressed: streams must not be held, and GraphiQL's page (development only,
    // megabytes of inlined assets) is written in chunks whose callbacks yoga waits for.
    return (type !== '' && !/json/i.test(type)) || res.getHeader('content-encoding') !== undefined;
  };
  const flushHead = (extra: Record<string, string>) => {
    if (head) original.writeHead(head.status, { ...head.headers, ...extra });
    else for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  };

  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = (rest.find((r) => r && typeof r === 'object') ?? {}) as Record<string, string | number | string[]>;
    head = { status, headers };
    passThrough = decide();
    if (passThrough) original.writeHead(status, headers);
    return res;
  }) as typeof res.writeHead;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (passThrough || decide()) {
      if (!passThrough) {
        passThrough = true;
        flushHead({});
      }
      return original.write(chunk as Buffer, ...(rest as []));
    }
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    // A writer that waits for each chunk's callback (yoga streams a large answer so) must get it, or it waits forever.
    const callback = rest.find((r) => typeof r === 'function') as ((err?: Error | null) => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (passThrough) return original.end(chunk as Buffer, ...(rest as []));
    if (chunk !== undefined && typeof chunk !== 'function')
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    const body = Buffer.concat(chunks);
    if (body.length <= thresholdBytes) {
      flushHead({});
      return original.end(body);
    }
    const packed =
      encoding === 'br'
        ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } })
        : zlib.gzipSync(body, { level: 6 });
    if (head) {
      for (const name of Object.keys(head.headers))
        if (name.toLowerCase() === 'content-length') delete head.headers[name];
    }
    res.removeHeader('content-length');
    const varyName = head && Object.keys(head.headers).find((n) => n.toLowerCase() === 'vary');
    const vary = [varyName ? String(head!.headers[varyName]) : res.getHeader('vary'), 'Accept-Encoding']
      .filter(Boolean)
      .join(', ');
    if (varyName) delete head!.headers[varyName];
    flushHead({ 'Content-Encoding': encoding, 'Content-Length': String(packed.length), Vary: vary });
    return original.end(packed);
  }) as typeof res.end;
}
