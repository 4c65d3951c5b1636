import type { Problem } from "./types";

/** Where the API lives: this page's own origin unless the build injects another. */
const API_URL: string = (import.meta.env.VITE_API_URL ?? "").replace(/\/+$/, "");

/** A failed API call, carrying the problem+json the gateway answered (or one made up for it). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: string;

  constructor(problem: Pick<Problem, "status" | "code" | "title" | "detail">) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.code = problem.code;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "status" in body && "code" in body && "detail" in body;
}

/** An error status whose body is the answer all the same, when it is the document the guard expects. */
interface AcceptedStatus<T> {
  status: number;
  is: (body: unknown) => body is T;
}

/** Sends a GET for `path`; a request that never reaches the API becomes ApiError `network-error`. */
async function send(path: string, accept: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(`${API_URL}${path}`, { signal, headers: { accept } });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError({
      status: 0,
      code: "network-error",
      title: "Network error",
      detail: `cannot reach the API (${(error as Error).message})`,
    });
  }
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
