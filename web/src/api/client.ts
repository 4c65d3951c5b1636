import { endSession, getSession } from "./session";
import type { CommandAccepted, Problem } from "./types";

/** Where the API lives: this page's own origin unless the build injects another. */
export const API_URL: string = (import.meta.env.VITE_API_URL ?? "").replace(/\/+$/, "");

/** One thing wrong with a request body or parameter, as a write's 400 lists them. */
export interface FieldError {
  /** The field's path ("quantity", "bracket.takeProfit", "params.fast"), or "" for the whole body. */
  field: string;
  message: string;
}

type ProblemFields = Pick<Problem, "status" | "code" | "title" | "detail">;

/** A failed API call, carrying the problem+json the gateway answered (or one made up for it). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: string;
  /** Every invalid field, when the problem lists them (400 invalid-body, invalid-parameter). */
  readonly errors: readonly FieldError[];

  constructor(problem: ProblemFields & { errors?: unknown }) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.code = problem.code;
    this.errors = fieldErrors(problem.errors);
  }
}

/** The `errors` of a problem: each names its parameter, header or body field (`parameter`) and says what is wrong. */
function fieldErrors(errors: unknown): FieldError[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    if (typeof e !== "object" || e === null) return [];
    const { message, parameter } = e as { message?: unknown; parameter?: unknown };
    if (typeof message !== "string") return [];
    return [{ field: typeof parameter === "string" ? parameter : "", message }];
  });
}

/** The Authorization header of the session, if any. */
function authorization(): Record<string, string> {
  const session = getSession();
  return session ? { authorization: `Bearer ${session.token}` } : {};
}

/**
 * A 401 means the token is no longer good (expired, or the gateway restarted with another
 * secret): the session ends and the header shows the login again.
 */
function checkAuth(response: Response): void {
  if (response.status === 401 && getSession() !== null) endSession("unauthenticated");
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "status" in body && "code" in body && "detail" in body;
}

/** An error status whose body is the answer all the same, when it is the document the guard expects. */
interface AcceptedStatus<T> {
  status: number;
  is: (body: unknown) => body is T;
}

/** Sends a GET for `path` (with the session's token, if any); a request that never reaches the API becomes ApiError `network-error`. */
async function send(path: string, accept: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    const response = await fetch(`${API_URL}${path}`, { signal, headers: { accept, ...authorization() } });
    checkAuth(response);
    return response;
  } catch (error) {
    if (signal?.aborted) throw error;
    throw networkError(error);
  }
}

function networkError(error: unknown): ApiError {
  return new ApiError({
    status: 0,
    code: "network-error",
    title: "Network error",
    detail: `cannot reach the API (${(error as Error).message})`,
  });
}

/** The error of an answer that is not the one asked for: its problem, or one made up from its status. */
function failure(response: Response, path: string, body: unknown): ApiError {
  if (isProblem(body)) return new ApiError(body);
  return new ApiError({
    status: response.status,
    code: "http-error",
    title: response.statusText,
    detail: `${path} answered HTTP ${response.status}`,
  });
}

/**
 * GETs an API path and returns its JSON. Errors become ApiError with the problem's detail, so
 * every panel can say why it is empty. `accept` lists error statuses whose body is the answer
 * when it passes the guard (the health route says 503 with its Health body when a dependency is
 * down); any other body with that status, a problem or a proxy's own message, is an error.
 */
export async function getJson<T>(
  path: string,
  signal: AbortSignal,
  accept: readonly AcceptedStatus<T>[] = [],
): Promise<T> {
  const response = await send(path, "application/json", signal);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError({
      status: response.status,
      code: "invalid-response",
      title: "Invalid response",
      detail: `${path} answered HTTP ${response.status} without JSON`,
    });
  }
  if (response.ok || accept.some((a) => a.status === response.status && a.is(body))) return body as T;
  throw failure(response, path, body);
}

/**
 * GETs a list route as CSV (`Accept: text/csv`) and returns it as a Blob. An error answers
 * problem+json as always; a 200 that is not CSV (a gateway that ignores Accept) is an error too,
 * rather than a JSON file saved under a .csv name.
 */
export async function getCsv(path: string, signal?: AbortSignal): Promise<Blob> {
  const response = await send(path, "text/csv", signal);
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw failure(response, path, body);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("text/csv"))
    throw new ApiError({
      status: response.status,
      code: "invalid-response",
      title: "Invalid response",
      detail: `${path} answered ${type || "no content type"} instead of CSV`,
    });
  return response.blob();
}

/** A write: its method, path and JSON body (none for most strategy actions). */
export interface CommandRequest {
  method: "POST" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
}

/** A 202: the command is on its way to the engine; its outcome is at `location`. */
export interface Accepted extends CommandAccepted {
  location: string;
}

/** A fresh idempotency key for one user action: a UUID (36 of the gateway's 8 to 64 `[A-Za-z0-9_-]`). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID is for secure contexts only; a page on plain http elsewhere than localhost still has getRandomValues
  const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Waits before each retry of a write that may not have reached the gateway. */
const RETRY_MS = [300, 1_000] as const;

/**
 * Sends a write with its Idempotency-Key and returns the 202. The key is made once per user
 * action and sent again on each retry, so a request that reached the gateway but whose answer
 * was lost is applied once: a network error and a 503 (nothing was published) are retried twice;
 * any other error is the answer (the problem's detail).
 */
export async function sendCommand(request: CommandRequest, key: string): Promise<Accepted> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await sendOnce(request, key);
    } catch (error) {
      const wait = RETRY_MS[attempt];
      const retriable = error instanceof ApiError && (error.status === 0 || error.status === 503);
      if (!retriable || wait === undefined) throw error;
      await new Promise((done) => setTimeout(done, wait));
    }
  }
}

async function sendOnce(request: CommandRequest, key: string): Promise<Accepted> {
  let response: Response;
  try {
    response = await fetch(`${API_URL}${request.path}`, {
      method: request.method,
      headers: {
        accept: "application/json",
        "idempotency-key": key,
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
        ...authorization(),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
  } catch (error) {
    throw networkError(error);
  }
  checkAuth(response);
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 202 && isAccepted(body))
    return { ...body, location: response.headers.get("location") ?? `/api/commands/${body.commandId}` };
  if (response.ok)
    throw new ApiError({
      status: response.status,
      code: "invalid-response",
      title: "Invalid response",
      detail: `${request.method} ${request.path} answered HTTP ${response.status} without a command`,
    });
  throw failure(response, `${request.method} ${request.path}`, body);
}

function isAccepted(body: unknown): body is CommandAccepted {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as Partial<CommandAccepted>).commandId === "string" &&
    typeof (body as Partial<CommandAccepted>).kind === "string"
  );
}

/**
 * POSTs JSON to an open route (the local token route) and returns its JSON answer, or the
 * problem it answered as an ApiError.
 */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw networkError(error);
  }
  const answer: unknown = await response.json().catch(() => undefined);
  if (response.ok && answer !== undefined) return answer as T;
  throw failure(response, path, answer);
}
