import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";

/**
 * One API answer: a JSON body with its status (problem+json when it has a `code`), or a string
 * body sent as it is under the `content-type` its headers give (CSV).
 */
export interface Answer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request the page sent: its URL, headers, method and JSON body (undefined without one). */
export interface SentRequest {
  url: URL;
  headers: Headers;
  method: string;
  body: unknown;
}

/**
 * Answers by path (without the query string); a function is asked on every call, so tests can
 * move prices. A key ending in `*` answers every path it starts (`/api/commands/*`); an exact key
 * wins. A function that throws is a request that never reached the API.
 */
export type Routes = Record<string, Answer | ((url: URL, headers: Headers, request: SentRequest) => Answer)>;

/**
 * Replaces fetch, the network boundary, with answers by path. Unknown paths answer 404
 * problem+json, as the gateway does. Returns the URLs fetched, in order, and the requests with
 * their headers.
 */
export function stubApi(routes: Routes): { calls: URL[]; requests: SentRequest[] } {
  const calls: URL[] = [];
  const requests: SentRequest[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://dashboard.test");
      const headers = new Headers(init?.headers);
      const body: unknown = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
      const request = { url, headers, method: init?.method ?? "GET", body };
      calls.push(url);
      requests.push(request);
      const prefix = Object.keys(routes).find((key) => key.endsWith("*") && url.pathname.startsWith(key.slice(0, -1)));
      const route = routes[url.pathname] ?? (prefix === undefined ? undefined : routes[prefix]);
      const answer =
        typeof route === "function"
          ? route(url, headers, request)
          : (route ?? {
              status: 404,
              body: {
                type: "about:blank",
                title: "Not Found",
                status: 404,
                code: "not-found",
                detail: `no route ${url.pathname}`,
              },
            });
      const status = answer.status ?? 200;
      if (typeof answer.body === "string")
        return new Response(answer.body, { status, headers: { "content-type": "text/plain", ...answer.headers } });
      const problem = typeof answer.body === "object" && answer.body !== null && "code" in answer.body;
      return new Response(JSON.stringify(answer.body), {
        status,
        headers: { "content-type": problem ? "application/problem+json" : "application/json", ...answer.headers },
      });
    }),
  );
  return { calls, requests };
}

/** A fetch that never answers: the panel stays in its loading state. */
export function stubPendingApi(): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(() => new Promise(() => {})),
  );
}

/** Renders with a fresh QueryClient that does not retry, so an error shows at once. */
export function renderWithClient(ui: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const result = render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
  return { client, ...result };
}
