/**
 * A small GraphQL client for the end-to-end tests: typed documents sent with variables over real
 * HTTP (fetch), and subscriptions over graphql-ws. Values are never pasted into query strings.
 */
import { type Client, type ClientOptions, createClient } from "graphql-ws";
import WebSocket from "ws";

import type { Doc } from "../../../src/cli/graphql.client";

// The typed documents of the CLI's client: the tests write theirs the same way.
export { type Doc, gql } from "../../../src/cli/graphql.client";

export interface GraphQLErrorShape {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; field?: string; fields?: Array<{ field: string; message: string }>; [key: string]: unknown };
}

export interface Response<TData> {
  status: number;
  headers: Headers;
  data: TData | null;
  errors?: GraphQLErrorShape[];
}

export class GraphQLTestClient {
  constructor(
    readonly url: string,
    readonly key: string | null,
  ) {}

  /** The same endpoint with another API key (null: none). */
  as(key: string | null): GraphQLTestClient {
    return new GraphQLTestClient(this.url, key);
  }

  /** Sends `doc` with `variables`; resolves with status, data and errors as received. */
  async request<TData, TVariables>(doc: Doc<TData, TVariables>, variables?: TVariables): Promise<Response<TData>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    const res = await fetch(this.url, { method: "POST", headers, body: JSON.stringify({ query: doc.query, variables }) });
    const body = (await res.json()) as { data?: TData | null; errors?: GraphQLErrorShape[] };
    return { status: res.status, headers: res.headers, data: body.data ?? null, errors: body.errors };
  }

  /** Sends `doc` and returns its data; fails the test with the errors when there are any. */
  async data<TData, TVariables>(doc: Doc<TData, TVariables>, variables?: TVariables): Promise<TData> {
    const res = await this.request(doc, variables);
    if (res.errors?.length || !res.data) {
      throw new Error(`GraphQL errors (HTTP ${res.status}): ${JSON.stringify(res.errors)}`);
    }
    return res.data;
  }

  /** A graphql-ws client authenticated with this client's key (`options` added). Dispose it after use. */
  subscriptions(options: Partial<ClientOptions> = {}): Client {
    return createClient({
      url: this.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: this.key ? { authorization: `Bearer ${this.key}` } : {},
      retryAttempts: 0,
      ...options,
    });
  }
}

/** The first error's code, for assertions. */
export const codeOf = (res: Response<unknown>): string | undefined => res.errors?.[0]?.extensions?.code;
