/** One GraphQL error as the API reports it; every error carries a stable `extensions.code`. */
export interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

/** Raised for an HTTP or GraphQL failure; `code` is the first error's `extensions.code` when there is one. */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GraphQLRequestError';
  }
}

/** A plain GraphQL-over-HTTP POST, as any client would send it. */
export async function graphql<T>(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    const cause = (e as Error).cause instanceof Error ? `: ${((e as Error).cause as Error).message}` : '';
    throw new GraphQLRequestError(`cannot reach ${url} (${(e as Error).message}${cause})`, 'UNAVAILABLE', 0);
  }
  const text = await res.text();
  let body: { data?: T | null; errors?: GraphQLError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new GraphQLRequestError(
      `${url} answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      undefined,
      res.status,
    );
  }
  const first = body.errors?.[0];
  if (first) throw new GraphQLRequestError(first.message, first.extensions?.code, res.status);
  if (!body.data) throw new GraphQLRequestError(`${url} answered ${res.status} without data`, undefined, res.status);
  return body.data;
}
