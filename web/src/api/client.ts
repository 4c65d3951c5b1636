import type { Problem } from "./types";

/** Where the API lives: this page's own origin unless the build injects another. */
const API_URL: string = (import.meta.env.VITE_API_URL ?? "").replace(/\/+$/, "");

/** A failed API call, carrying the problem+json the gateway answered (or one made up for it). */
class ApiError extends Error {
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
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, { signal, headers: { accept: "application/json" } });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ApiError({
      status: 0,
      code: "network-error",
      title: "Network error",
      detail: `cannot reach the API (${(error as Error).message})`,
    });
  }
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
  if (isProblem(body)) throw new ApiError(body);
  throw new ApiError({
    status: response.status,
    code: "http-error",
    title: response.statusText,
    detail: `${path} answered HTTP ${response.status}`,
  });
}
