import type http from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { ErrorCode } from '@cm/contracts';

/** `GRAPHQL_MAX_BODY_BYTES`' default: far above any operation this API takes, far below what hurts a process. */
export const DEFAULT_MAX_BODY_BYTES = 1_000_000;

/**
 * `PAYLOAD_TOO_LARGE`, HTTP 413. `Connection: close` makes Node close the socket after the answer instead of
 * reading (and discarding) the rest of the body to keep the connection alive.
 */
const tooLarge = (limit: number) =>
  createGraphQLError(`request body larger than ${limit} bytes`, {
    extensions: { code: ErrorCode.PAYLOAD_TOO_LARGE, http: { status: 413, headers: { connection: 'close' } } },
  });
// The same error yoga's own limit gives.
const invalidContentLength = () =>
  createGraphQLError('Content-Length header is invalid.', {
    extensions: { http: { status: 400 }, code: 'BAD_REQUEST' },
  });
const CONTENT_LENGTH = /^\d+$/;

/** Whether a request's declared `Content-Length` is within `limit` (the fast path's side of the body limit). */
export function declaredLengthWithin(headers: http.IncomingHttpHeaders, limit: number): boolean {
  const length = headers['content-length'];
  return length !== undefined && CONTENT_LENGTH.test(length) && Number(length) <= limit;
}

/**
 * The request body size limit, in place of yoga's (`maxRequestBodySize: false` turns that off). yoga pipes every
 * body through a counting TransformStream, even when `Content-Length` already bounds it: the stream pipeline, its
 * AbortController and the DOMException its `finish` creates cost ~8% of query-service CPU on small POSTs at 64
 * connections. Here a declared `Content-Length` is checked before any of the body is read, and trusted (Node's
 * HTTP parser never delivers more body than it declares, and refuses requests with both it and chunked
 * encoding); only a body without one (chunked) is counted as it streams, and cut off where it passes the limit.
 */
export function bodyLimitPlugin(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        if (!CONTENT_LENGTH.test(contentLength)) throw invalidContentLength();
        if (Number(contentLength) > limit) throw tooLarge(limit);
        return;
      }
      if (requestParser == null || request.body == null) return;
      setRequestParser((req) => requestParser(countedBody(req, limit, fetchAPI)));
    },
  };
}

/** The request with a body that errors once more than `limit` bytes have streamed through (yoga's approach). */
function countedBody(
  request: Request,
  limit: number,
  fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream },
): Request {
  const body = request.body;
  if (!body) return request;
  // A native ReadableStream needs the native TransformStream, a ponyfill one the ponyfill (graphql-yoga#4583).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytes = 0;
  const counted = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: counted,
    duplex: 'half',
  } as RequestInit);
}
