import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Metrics } from "@tickflow/metrics";
import { z } from "zod";
import { GatewayError } from "./errors";

export type UpstreamName = "market-data" | "strategy";

/**
 * How long a kept-alive connection to a worker may sit idle before the gateway closes it: well
 * below the workers' own keep-alive (65 s, after which they close idle sockets), so the gateway
 * is normally the side that closes and never writes a request into a socket the worker has
 * just closed.
 */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;

/**
 * Keep-alive connections to the workers, shared by every call. node:http costs a fraction of
 * fetch (undici) per request on Node 20: under load (npm run bench) the gateway served about
 * 2,000 requests/s through fetch. `timeout` closes a socket that sits idle in the pool.
 */
const HTTP_AGENT = new HttpAgent({ keepAlive: true, maxSockets: 64, timeout: IDLE_SOCKET_TIMEOUT_MS });
const HTTPS_AGENT = new HttpsAgent({ keepAlive: true, maxSockets: 64, timeout: IDLE_SOCKET_TIMEOUT_MS });

/** What a kept-alive socket the worker closed while it sat idle fails with when it is written to. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

/** How a call to a worker failed; also the `kind` label of tickflow_upstream_errors_total. */
export type UpstreamFailure = "timeout" | "unreachable" | "server-error" | "invalid-response";

/** A worker that did not answer in time, could not be reached, failed (5xx) or answered something unusable. */
export class UpstreamError extends GatewayError {
  constructor(
    readonly upstream: UpstreamName,
    readonly kind: UpstreamFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A worker's 4xx answer: a valid reply saying no (unknown symbol or strategy, or a request it does not accept). */
export class UpstreamRejection extends GatewayError {
  constructor(
    readonly upstream: UpstreamName,
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${upstream} answered ${status} ${code}: ${detail}`);
  }
}

const WorkerProblemSchema = z.object({ code: z.string().default("unknown"), detail: z.string().default("") });

export type Query = Record<string, string | number | undefined>;

export interface ProbeResult {
  status: number;
  latencyMs: number;
}

/**
 * One worker's read API. Every call has a deadline (the whole exchange, connect to last byte)
 * and every answer is validated against the schema the public API documents, so a slow, dead or
 * drifting worker becomes a typed error here instead of a hang or a malformed response.
 */
export class Upstream {
  constructor(
    readonly name: UpstreamName,
    readonly baseUrl: string,
    readonly timeoutMs: number,
    private readonly metrics: Metrics,
  ) {}

  private fail(kind: UpstreamFailure, message: string, status?: number, cause?: unknown): never {
    this.metrics.inc("tickflow_upstream_errors_total", { upstream: this.name, kind });
    throw new UpstreamError(this.name, kind, message, status, { cause });
  }

  /*
   * The deadline is the one timeout: middy's abort signal is shared by every invocation in a
   * process (cheap in Lambda, one request at a time), so in the local adapter one request's
   * timeout would cut all the others' calls.
   *
   * A kept-alive socket can be dead when it is taken from the pool: the idle timeout above runs
   * on timers, and a Lambda container thawed after a quiet minute (frozen, so no timer ran) sends
   * its first request on a socket the worker closed meanwhile. That fails with ECONNRESET or
   * EPIPE before any answer; the worker never saw the request, and a GET is idempotent anyway,
   * so it is sent once more on a new connection, within the same deadline.
   */
  private exchange(path: string, query: Query): Promise<{ status: number; text: string }> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    const secure = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      let timedOut = false;
      let settled = false;
      let current: ClientRequest | undefined;
      // a failure can surface on the request or, once the answer has begun, on the response
      const failed = (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        if (settled) return;
        settled = true;
        try {
          if (timedOut)
            this.fail("timeout", `${this.name} did not answer within ${this.timeoutMs} ms`, undefined, error);
          // the worker's address stays out of the message: it reaches public problem details
          this.fail(
            "unreachable",
            `${this.name} is unreachable${error.code ? ` (${error.code})` : ""}`,
            undefined,
            error,
          );
        } catch (failure) {
          reject(failure);
        }
      };
      /** `fresh`: a connection of its own (`agent: false`), never one from the pool. */
      const send = (fresh: boolean) => {
        let answered = false;
        const agent = fresh ? false : secure ? HTTPS_AGENT : HTTP_AGENT;
        const request = (secure ? httpsRequest : httpRequest)(
          url,
          { headers: { accept: "application/json" }, agent },
          (response) => {
            answered = true;
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("error", failed);
            response.on("end", () => {
              clearTimeout(deadline);
              if (settled) return;
              settled = true;
              resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
            });
          },
        );
        current = request;
        request.on("error", (error: NodeJS.ErrnoException) => {
          const stale =
            !fresh &&
            !answered &&
            !timedOut &&
            !settled &&
            request.reusedSocket &&
            STALE_SOCKET_CODES.has(error.code ?? "");
          if (stale) send(true);
          else failed(error);
        });
        request.end();
      };
      // the deadline covers the whole exchange, connect to last byte: a worker that stalls mid-body is slow too
      const deadline = setTimeout(() => {
        timedOut = true;
        current?.destroy(Object.assign(new Error("upstream deadline"), { code: "ETIMEDOUT" }));
      }, this.timeoutMs);
      send(false);
    });
  }

  /** GETs a JSON document and parses it with `schema`; a 4xx is an UpstreamRejection, anything else unusable an UpstreamError. */
  async getJson<S extends z.ZodType>(path: string, schema: S, options: { query?: Query } = {}): Promise<z.output<S>> {
    const { status, text } = await this.exchange(path, options.query ?? {});
    if (status >= 500) return this.fail("server-error", `${this.name} failed: ${path} answered ${status}`, status);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.fail(
        "invalid-response",
        `${this.name} answered ${path} with something that is not JSON (HTTP ${status})`,
        status,
      );
    }
    if (status >= 400) {
      const problem = WorkerProblemSchema.safeParse(json);
      throw new UpstreamRejection(
        this.name,
        status,
        problem.success ? problem.data.code : "unknown",
        problem.success ? problem.data.detail : text.slice(0, 200),
      );
    }
    if (status !== 200)
      return this.fail("invalid-response", `${this.name} answered ${path} with HTTP ${status}`, status);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return this.fail(
        "invalid-response",
        `${this.name} answered ${path} with data the API does not document: ${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"}`,
        status,
      );
    }
    return parsed.data;
  }

  /** GETs a health endpoint: any HTTP status is an answer (503 means unhealthy); only silence is an error. */
  async probe(path: string): Promise<ProbeResult> {
    const started = performance.now();
    const { status } = await this.exchange(path, {});
    return { status, latencyMs: Math.round(performance.now() - started) };
  }
}
