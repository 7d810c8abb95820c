/** One GraphQL error as the API reports it: every error carries a stable `extensions.code`. */
export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; details?: unknown };
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

/**
 * A deliberately plain GraphQL-over-HTTP client (fetch + JSON), so the tests see exactly what a browser or
 * any other client would: status codes, `data`, `errors[].extensions.code`.
 */
export class GraphQLClient {
  constructor(
    private readonly url: string,
    private readonly token?: string,
  ) {}

  withToken(token: string | undefined): GraphQLClient {
    return new GraphQLClient(this.url, token);
  }

  async request<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GraphQLResponse<T>, 'status'>;
    return { status: res.status, ...body };
  }

  /** Runs an operation that must succeed and returns its data. */
  async ok<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<T> {
    const r = await this.request<T>(query, variables, headers);
    if (r.errors?.length || !r.data) {
      throw new Error(`GraphQL operation failed (${r.status}): ${JSON.stringify(r.errors)}\n${query}`);
    }
    return r.data;
  }

  /** Runs an operation that must fail and returns the codes of its errors. */
  async codes(query: string, variables?: Record<string, unknown>): Promise<string[]> {
    const r = await this.request(query, variables);
    return (r.errors ?? []).map((e) => e.extensions?.code ?? `NO_CODE: ${e.message}`);
  }
}
