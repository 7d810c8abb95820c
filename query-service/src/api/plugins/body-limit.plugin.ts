import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** yoga's default `maxRequestBodySize`, kept. */
export const MAX_REQUEST_BODY_BYTES = 25_000_000;

// The same errors yoga's own limit gives.
const tooLarge = () => createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });
const invalidContentLength = () => createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
const CONTENT_LENGTH = /^\d+$/;

/**
 * The request body size limit, in place of yoga's (`maxRequestBodySize: false` turns that off). yoga pipes every
 * body through a counting TransformStream, even when `Content-Length` already bounds it: the stream pipeline, its
 * AbortController and the DOMException its `finish` creates cost ~8% of query-service CPU on small POSTs at 64
 * connections. Here a declared `Content-Length` is checked and trusted (Node's HTTP parser never delivers more
 * body than it declares, and refuses requests with both it and chunked encoding); only a body without one
 * (chunked) is counted as it streams, as yoga does.
 */
export function bodyLimitPlugin(limit: number = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        if (!CONTENT_LENGTH.test(contentLength)) throw invalidContentLength();
        if (Number(contentLength) > limit) throw tooLarge();
        return;
      }
      if (requestParser == null || request.body == null) return;
      setRequestParser((req) => requestParser(countedBody(req, limit, fetchAPI)));
    },
  };
}

/** The request with a body that errors once more than `limit` bytes have streamed through (yoga's approach). */
function countedBody(request: Request, limit: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  const body = request.body;
  if (!body) return request;
  // A native ReadableStream needs the native TransformStream, a ponyfill one the ponyfill (graphql-yoga#4583).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytes = 0;
  const counted = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}
