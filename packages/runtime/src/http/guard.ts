import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { problemDocument, sendProblem, type ProblemDocument } from "./problem";

/**
 * What every Tickflow HTTP server (the workers' faces, the gateway's local adapter, the
 * dashboard's static server) shares so that no request, however malformed, can end its process:
 * a request listener whose every failure becomes an answer, a `clientError` handler that answers
 * a protocol error only after the socket's earlier (pipelined) requests are answered, bounded
 * header and request times, and the security headers each answer carries.
 */

/**
 * The headers of every JSON API answer (workers, gateway; the gateway's middy middleware adds
 * them on AWS too): a browser must not sniff a body into something it renders, nothing in it may
 * load or run, and no page may frame it.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

/** Time and size bounds of a server's requests; the defaults suit every Tickflow server. */
export interface HttpLimits {
  /** Time a client has to send a request's line and headers (a slowloris client is cut at this). */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included (at least headersTimeoutMs). */
  requestTimeoutMs: number;
  /** How often the two timeouts above are checked: the cut comes up to this much later. */
  timeoutCheckIntervalMs: number;
  keepAliveTimeoutMs: number;
  /** Request line and headers together; more is answered 431. */
  maxHeaderBytes: number;
  /** How long the earlier answers on a socket may take before the protocol error after them is answered and the socket closed. */
  drainTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckIntervalMs: 1_000,
  // longer than the 60 s idle timeout of the load balancers and proxies in front of a server
  keepAliveTimeoutMs: 65_000,
  maxHeaderBytes: 16_384,
  drainTimeoutMs: 30_000,
};

/**
 * The request target as a URL, or undefined when it is none: Node's parser lets through targets
 * the URL parser refuses (`//[x`, `http://[bad/`), and `new URL` throws on them. Origin-form,
 * absolute-form and `*` are read as WHATWG URLs relative to a placeholder origin; only the path
 * and query are meaningful.
 */
export function requestTarget(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

/** A query parameter a route refuses, and why: the 400's `parameter` and message. */
export interface QueryParameterProblem {
  parameter: string;
  message: string;
}

/**
 * The first query parameter a route refuses: one given more than once (never silently one of
 * the values), or, when the route lists the parameters it takes, one it does not take (a typo
 * like `limt=5` would otherwise be ignored and answered with the defaults).
 */
export function queryParameterProblem(
  query: URLSearchParams,
  accepted?: readonly string[],
): QueryParameterProblem | undefined {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (accepted && !accepted.includes(name)) {
      const takes = accepted.length > 0 ? `it takes ${accepted.join(", ")}` : "it takes none";
      return { parameter: name, message: `unknown query parameter "${name}": ${takes}` };
    }
    if (seen.has(name)) return { parameter: name, message: `${name} is given more than once` };
    seen.add(name);
  }
  return undefined;
}

/** What a protocol error is answered with; anything not listed is a 400. null: nothing, the client has gone. */
const CLIENT_ERROR_ANSWERS: Record<string, [status: number, code: string, detail: string] | null> = {
  HPE_HEADER_OVERFLOW: [431, "headers-too-large", "the request line and headers are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "request-timeout", "the request did not arrive in time"],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "content-too-large", "the chunk extensions are too large"],
  ECONNRESET: null,
  EPIPE: null,
  ETIMEDOUT: null,
  ERR_STREAM_DESTROYED: null,
};
const BAD_REQUEST: [number, string, string] = [400, "invalid-request", "the request is not valid HTTP/1.1"];

/** Errors of a response whose client has gone away: expected, never a bug. */
const GONE = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_DESTROYED", "ERR_STREAM_PREMATURE_CLOSE"]);

/** A complete HTTP/1.1 answer written straight to a socket the parser has given up on. */
function rawAnswer(problem: ProblemDocument, headers: Record<string, string>): string {
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "content-type: application/problem+json",
    "cache-control: no-store",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
  ];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** A socket's answers not yet written, and what to do once there are none. */
interface SocketState {
  open: number;
  failed: boolean;
  idle?: () => void;
}

export interface GuardedServerOptions {
  /** Headers every answer starts with, also those to requests no listener sees; a listener may override them. */
  headers: Readonly<Record<string, string>>;
  limits?: Partial<HttpLimits>;
  /**
   * An error no request path handled: a bug. The request was answered 500 (or its answer cut
   * when it had begun); `req` is absent for a server error such as EMFILE on accept.
   */
  onError(error: unknown, req?: IncomingMessage): void;
}

/**
 * A Node HTTP server around `listener` that no request can take down:
 * - a throw or a rejection of the listener is reported and answered 500 problem+json (or the answer cut);
 * - errors of the request, of the response (a client gone mid-answer) and of the server are handled;
 * - a protocol error (a request Node's parser refuses, headers too large, a request too slow) is
 *   answered 400, 431 or 408 problem+json, but only after the answers to the requests pipelined
 *   before it on the socket: Node's own handling ends the socket at once and loses them;
 * - a CONNECT request is answered 405;
 * - headers and whole requests must arrive within the limits.
 */
export function createGuardedServer(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
  options: GuardedServerOptions,
): Server {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const headers = options.headers;
  const report = (error: unknown, req?: IncomingMessage) => {
    try {
      options.onError(error, req);
    } catch {
      // a reporter that fails must not turn a handled error into an unhandled one
    }
  };
  const sockets = new WeakMap<Socket, SocketState>();
  const stateOf = (socket: Socket): SocketState => {
    let state = sockets.get(socket);
    if (!state) sockets.set(socket, (state = { open: 0, failed: false }));
    return state;
  };

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
    },
    (req, res) => {
      const state = stateOf(req.socket);
      state.open += 1;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        state.open -= 1;
        if (state.open === 0 && state.idle) {
          const idle = state.idle;
          state.idle = undefined;
          idle();
        }
      };
      res.once("finish", settle);
      res.once("close", settle);
      // a client that aborts its request (or body) is not an error of ours
      req.on("error", () => {});
      res.on("error", (error: NodeJS.ErrnoException) => {
        if (!GONE.has(error.code ?? "")) report(error, req);
      });
      const fail = (error: unknown) => {
        report(error, req);
        try {
          sendProblem(res, problemDocument(500, "internal-error", "unexpected error; see the service log"));
        } catch {
          res.destroy();
        }
      };
      try {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        const result = listener(req, res);
        if (isPromiseLike(result)) result.then(undefined, fail);
      } catch (error) {
        fail(error);
      }
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;

  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const state = stateOf(socket);
    if (state.failed) return;
    state.failed = true;
    const code = error.code ?? "";
    const answer = Object.hasOwn(CLIENT_ERROR_ANSWERS, code) ? CLIENT_ERROR_ANSWERS[code] : BAD_REQUEST;
    if (!answer || socket.destroyed) return void socket.destroy();
    const respond = () => {
      // not writable: the client has gone, or Node is closing the socket after an answer that asked for it (Connection: close)
      if (!socket.writable) return void socket.destroy();
      const [status, code, detail] = answer;
      socket.end(rawAnswer(problemDocument(status, code, detail), headers), () => {
        // the answer is out; a client that keeps its side open gets a moment to read it
        setTimeout(() => socket.destroy(), 2_000).unref();
      });
    };
    // a client that stops reading its earlier answers cannot hold the socket open
    setTimeout(() => socket.destroy(), limits.drainTimeoutMs).unref();
    if (state.open === 0) respond();
    else state.idle = respond;
  });

  // CONNECT is no method of ours: refuse it rather than let Node drop the connection unanswered
  server.on("connect", (_req: IncomingMessage, socket: Socket) => {
    socket.on("error", () => socket.destroy());
    socket.end(rawAnswer(problemDocument(405, "method-not-allowed", "CONNECT is not supported"), headers), () =>
      setTimeout(() => socket.destroy(), 2_000).unref(),
    );
  });

  // once listening (a start-up error such as EADDRINUSE is the caller's): EMFILE on accept, for one
  server.once("listening", () => server.on("error", (error) => report(error)));
  return server;
}

/** Listens on host:port (0: any free port) and resolves with the port and a close that also ends kept-alive connections. */
export async function listen(
  server: Server,
  port: number,
  host: string,
): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The one inline stylesheet the built dashboard adds: lightweight-charts inserts a <style> for its
 * attribution logo. Allowed by its hash rather than with 'unsafe-inline'; a test recomputes the
 * hash from the installed package, so an upgrade that changes the stylesheet fails there first.
 */
export const CHART_ATTRIBUTION_STYLE_HASH = "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='";

/**
 * The headers of every answer that serves the dashboard, wherever it is served (the local static
 * server, nginx in Compose, CloudFront on AWS). The CSP lets the built app (one module script,
 * one stylesheet, fetches to its own origin and to `apiOrigins`, where the API is elsewhere) run
 * and nothing else: no inline or foreign script, no plugin, no <base> or form target elsewhere,
 * no framing (clickjacking).
 */
export function dashboardSecurityHeaders(apiOrigins: readonly string[] = []): Readonly<Record<string, string>> {
  return {
    "x-content-type-options": "nosniff",
    "content-security-policy": [
      "default-src 'self'",
      "script-src 'self'",
      `style-src 'self' ${CHART_ATTRIBUTION_STYLE_HASH}`,
      ...(apiOrigins.length > 0 ? [`connect-src 'self' ${apiOrigins.join(" ")}`] : []),
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "referrer-policy": "no-referrer",
    // frame-ancestors' predecessor, for browsers that know only it
    "x-frame-options": "DENY",
  };
}
