/**
 * The CLI's client of a running service: typed GraphQL documents sent with variables over HTTP
 * (Node's fetch), every failure turned into one line and an exit code a script can act on.
 */
import { CliError, EXIT_PROBLEMS, EXIT_UNAVAILABLE, EXIT_USAGE } from "./command";

/** A GraphQL document typed with its result and variables. */
export interface Doc<TData, TVariables> {
  query: string;
  /** Type carrier only. */
  readonly __types?: (variables: TVariables) => TData;
}

export const gql = <TData, TVariables = Record<string, never>>(query: string): Doc<TData, TVariables> => ({ query });

/** How long the CLI waits for an answer before it calls the service unreachable. */
export const REQUEST_TIMEOUT_MS = 30_000;

interface GraphQLError {
  message: string;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** An error the service answered with: its `extensions.code` and `extensions`, for commands that act on them. */
export class ServiceError extends CliError {
  constructor(
    exitCode: number,
    message: string,
    readonly code: string | undefined,
    readonly extensions: Record<string, unknown>,
  ) {
    super(exitCode, message);
    this.name = "ServiceError";
  }
}

/** The longest the CLI waits for a publish or a preview, which work over every lead (a rescore of 100,000 leads takes about a minute). */
export const BULK_REQUEST_TIMEOUT_MS = 3_600_000;

/**
 * The exit code for an error code the service answered with (the same in both modes of `qualify
 * keys`): a refused key or invalid arguments could not run as asked (2); a change the service
 * refuses (NOT_FOUND, CONFLICT) is a problem found (1); anything else, the service failed (3).
 */
export function exitCodeOf(code: string | undefined): number {
  if (code === "UNAUTHENTICATED" || code === "FORBIDDEN" || code === "BAD_USER_INPUT") return EXIT_USAGE;
  if (code === "NOT_FOUND" || code === "CONFLICT" || code === "RULES_INVALID") return EXIT_PROBLEMS;
  return EXIT_UNAVAILABLE;
}

export class GraphQLClient {
  /** @param forbidden what a FORBIDDEN answer means for the commands using this client */
  constructor(
    readonly url: string,
    private readonly apiKey: string,
    private readonly forbidden = "QUALIFY_API_KEY is not an admin key (managing keys needs the admin scope)",
  ) {}

  /**
   * Sends `doc` with `variables`; its data, or a `CliError` saying what went wrong (a
   * `ServiceError` when the service answered with an error).
   */
  async request<TData, TVariables>(doc: Doc<TData, TVariables>, variables: TVariables, timeoutMs = REQUEST_TIMEOUT_MS): Promise<TData> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.apiKey}` },
        body: JSON.stringify({ query: doc.query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CliError(EXIT_UNAVAILABLE, `cannot reach the service at ${this.url} (${reasonOf(err, timeoutMs)})`);
    }
    let body: { data?: TData | null; errors?: GraphQLError[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new CliError(EXIT_UNAVAILABLE, `${this.url} answered HTTP ${res.status}, not GraphQL: is QUALIFY_URL the service's /graphql URL?`);
    }
    const error = body.errors?.[0];
    if (error) throw new ServiceError(exitCodeOf(error.extensions?.code), this.describe(error), error.extensions?.code, error.extensions ?? {});
    if (!body.data) throw new CliError(EXIT_UNAVAILABLE, `${this.url} answered HTTP ${res.status} without data`);
    return body.data;
  }

  private describe(error: GraphQLError): string {
    switch (error.extensions?.code) {
      case "UNAUTHENTICATED":
        return `the service at ${this.url} refused QUALIFY_API_KEY (unknown or revoked key)`;
      case "FORBIDDEN":
        return this.forbidden;
      default:
        return `${error.message} (${error.extensions?.code ?? "no code"})`;
    }
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, `timed out after 30 s`… from what fetch threw. */
function reasonOf(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && err.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
