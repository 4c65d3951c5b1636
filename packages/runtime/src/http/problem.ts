import { STATUS_CODES, type ServerResponse } from "node:http";
import { TickflowError } from "@tickflow/core";

/** An RFC 9457 problem document: the body of every error answer, from every server. */
export interface ProblemDocument {
  type: "about:blank";
  title: string;
  status: number;
  code: string;
  detail: string;
  [extra: string]: unknown;
}

/** The problem document of a status, stable code and detail; `title` is the status phrase. */
export function problemDocument(
  status: number,
  code: string,
  detail: string,
  extras: Record<string, unknown> = {},
): ProblemDocument {
  return { type: "about:blank", title: STATUS_CODES[status] ?? "Error", status, code, detail, ...extras };
}

/**
 * A request that is answered with an error status, thrown by a handler: rendered as
 * application/problem+json with a stable `code` clients can switch on, the members in `extras`
 * (the offending parameter, the upstream that failed) and the headers the status calls for (Allow
 * beside a 405).
 */
export class HttpProblem extends TickflowError {
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly extras: Record<string, unknown> = {},
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(detail, { cause: options.cause });
    this.headers = options.headers ?? {};
  }

  /** Its body; `instance` is the request path. */
  document(instance?: string): ProblemDocument {
    return problemDocument(this.status, this.code, this.detail, { ...(instance ? { instance } : {}), ...this.extras });
  }
}

/**
 * Answers with a problem+json document. Once an answer has begun there is no status left to
 * send: the response is cut instead, which the client sees as an incomplete answer. A complete
 * answer is left alone (cutting it would cut the connection, and the answers pipelined after it).
 */
export function sendProblem(res: ServerResponse, problem: ProblemDocument, headers: Record<string, string> = {}): void {
  if (res.writableEnded) return;
  if (res.headersSent || res.destroyed) return void res.destroy();
  // a length a listener set for the answer it did not send (removed only when set: Node then frames the answer itself)
  if (res.hasHeader("content-length")) res.removeHeader("content-length");
  res.writeHead(problem.status, {
    ...headers,
    "content-type": "application/problem+json",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify(problem));
}
