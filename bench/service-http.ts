/**
 * The benchmark's GraphQL client: `node:http` with a keep-alive agent (one socket per concurrent
 * client, reused) and no time limit, so that a publish that rescores 100,000 leads is waited for
 * (`fetch` gives up on response headers after 300 s).
 */
import http from "node:http";

export interface GraphQLResult<T> {
  data: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs one operation to `url` with an admin `key`; resolves with the body as received. */
export function postGraphQL<T>(url: string, key: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResult<T>> {
  const body = Buffer.from(JSON.stringify({ query, variables }));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve(JSON.parse(text) as GraphQLResult<T>);
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Like `postGraphQL`, but the data only: any GraphQL error fails the run. */
export async function graphqlData<T>(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await postGraphQL<T>(url, key, query, variables);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors?.slice(0, 3))}`);
  return result.data;
}
