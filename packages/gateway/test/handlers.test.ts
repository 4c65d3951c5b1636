import { InstrumentSpecSchema, OrderEventSchema } from "@tickflow/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { HttpHandler } from "../src/http/endpoint";
import { ENDPOINTS } from "../src/http/endpoints";
import { ROUTES, type HandlerName } from "../src/http/routes";
import { ORDER_EVENT_KINDS, type Alert, type Health, type Problem } from "../src/schemas";
import { createNotFound } from "../src/http/handlers/not-found";
import {
  context,
  defaultRouteEvent,
  httpEvent,
  httpFixture,
  parse,
  sample,
  testDeps,
  type TestDeps,
} from "./support/events";
import { HALTING_DRAWDOWN, startInProcessWorkers, type InProcessWorkers } from "./support/workers";

let workers: InProcessWorkers;
let deps: TestDeps;
let handlers: Record<HandlerName, HttpHandler>;

beforeAll(async () => {
  // a drawdown limit the run trips, so there are halts to list as alerts
  workers = await startInProcessWorkers({ maxDrawdown: HALTING_DRAWDOWN });
  deps = testDeps({ MARKET_DATA_URL: workers.marketDataUrl, STRATEGY_URL: workers.strategyUrl });
  handlers = Object.fromEntries(ROUTES.map((r) => [r.handler, ENDPOINTS[r.handler].create(deps)])) as Record<
    HandlerName,
    HttpHandler
  >;
}, 90_000);

afterAll(async () => {
  await workers?.stop();
});

const invoke = async <T = unknown>(name: HandlerName, event = httpEvent(name)) =>
  parse<T>(await handlers[name](event, context()));
const upstream = async (url: string) => (await fetch(url)).json() as Promise<unknown>;

describe("market-data routes", () => {
  it("answers the recorded GET /api/quotes event with the worker's quotes board, unchanged", async () => {
    const response = await invoke("quotes", httpFixture("http-api-quotes.json"));

    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.body).toHaveLength(3);
    expect(response.body).toEqual(await upstream(`${workers.marketDataUrl}/quotes`));
  });

  it("answers the recorded GET /api/quotes/{symbol} event with the quote and its last five quotes", async () => {
    const response = await invoke<{ quote: { symbol: string }; history: unknown[] }>(
      "quote",
      httpFixture("http-api-quote.json"),
    );

    expect(response.status).toBe(200);
    expect(response.body.quote.symbol).toBe("AAPL");
    expect(response.body.history).toHaveLength(5);
    expect(response.body).toEqual(await upstream(`${workers.marketDataUrl}/quotes/AAPL?limit=5`));
  });

  it("answers a universe symbol the feed does not publish with a null quote and no history", async () => {
    const response = await invoke("quote", httpEvent("quote", { path: { symbol: "MSFT" } }));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ quote: null, history: [] });
  });

  it("answers an unknown symbol with 404 unknown-symbol naming the parameter", async () => {
    const response = await invoke<Problem>("quote", httpEvent("quote", { path: { symbol: "XYZ" } }));

    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.body).toMatchObject({
      status: 404,
      code: "unknown-symbol",
      parameter: "symbol",
      instance: "/api/quotes/XYZ",
    });
  });

  it("lists the instrument universe with each instrument's grid and currency", async () => {
    const response = await invoke<Record<string, unknown>[]>("instruments");
    const keys = Object.keys(InstrumentSpecSchema.shape);
    const fromWorker = (await upstream(`${workers.marketDataUrl}/instruments`)) as Record<string, unknown>[];

    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(7);
    expect(response.body).toEqual(fromWorker.map((i) => Object.fromEntries(keys.map((k) => [k, i[k]]))));
  });
});

describe("strategy routes", () => {
  it("answers bars with the worker's closed bars, oldest first", async () => {
    const response = await invoke<{ start: number }[]>(
      "bars",
      httpEvent("bars", { path: { symbol: "BTC-USD" }, query: "interval=1s&limit=10" }),
    );

    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(10);
    expect(response.body.map((b) => b.start)).toEqual([...response.body.map((b) => b.start)].sort((a, b) => a - b));
    expect(response.body).toEqual(await upstream(`${workers.strategyUrl}/bars/BTC-USD?interval=1s&limit=10`));
  });

  it("serves limit=1000 although the worker keeps only 500: the worker answers what it keeps", async () => {
    const event = httpEvent("bars", { path: { symbol: "AAPL" }, query: "interval=1s&limit=1000" });
    const expected = await upstream(`${workers.strategyUrl}/bars/AAPL?interval=1s&limit=500`);

    const response = await invoke("bars", event);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(expected);
  });

  it.each([
    ["interval=2m", "interval"],
    ["interval=", "interval"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=abc", "limit"],
    ["limit=1e2", "limit"],
    ["limit=2.5", "limit"],
    ["limit=", "limit"],
  ])("answers bars?%s with 400 invalid-parameter naming %s", async (query, parameter) => {
    const response = await invoke<Problem>("bars", httpEvent("bars", { path: { symbol: "AAPL" }, query }));

    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.body).toMatchObject({ code: "invalid-parameter", parameter, errors: [{ parameter, in: "query" }] });
  });

  it("lists the running strategies and one strategy's full account as the worker does", async () => {
    const list = await invoke("strategies");
    const one = await invoke<{ id: string; portfolio: { equityCurve: unknown[] } }>(
      "strategy",
      httpEvent("strategy", { path: { id: "sma" } }),
    );

    expect(list.status).toBe(200);
    expect(list.body).toEqual(await upstream(`${workers.strategyUrl}/strategies`));
    expect(one.status).toBe(200);
    expect(one.body.portfolio.equityCurve.length).toBeGreaterThan(0);
    expect(one.body).toEqual(await upstream(`${workers.strategyUrl}/strategies/sma`));
  });

  it("answers a strategy that is not running with the worker's 404 unknown-strategy", async () => {
    const response = await invoke<Problem>("strategy", httpEvent("strategy", { path: { id: "not-running" } }));

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: "unknown-strategy" });
  });

  it("answers a malformed strategy id with 404 unknown-strategy naming the id", async () => {
    const response = await invoke<Problem>("strategy", httpEvent("strategy", { path: { id: "Not_An-Id" } }));

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: "unknown-strategy", parameter: "id" });
  });

  it("filters signals by symbol and strategy as the worker does", async () => {
    const response = await invoke<{ symbol: string; strategyId: string }[]>(
      "signals",
      httpEvent("signals", { query: "symbol=AAPL&strategy=sma&limit=5" }),
    );

    expect(response.status).toBe(200);
    expect(response.body.length).toBeGreaterThan(0);
    expect(response.body.every((s) => s.symbol === "AAPL" && s.strategyId === "sma")).toBe(true);
    expect(response.body).toEqual(await upstream(`${workers.strategyUrl}/signals?symbol=AAPL&strategy=sma&limit=5`));
  });

  it("answers the recorded event with a repeated symbol (joined as AAPL,MSFT) with 400 naming symbol", async () => {
    const response = await invoke<Problem>("signals", httpFixture("http-api-signals-repeated-symbol.json"));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "invalid-parameter", parameter: "symbol" });
  });

  it.each([
    ["symbol=FOO", "symbol"],
    ["symbol=aapl", "symbol"],
    ["strategy=SMA!", "strategy"],
    ["type=cancelled", "type"],
  ])("answers orders?%s with 400 naming %s", async (query, parameter) => {
    const response = await invoke<Problem>("orders", httpEvent("orders", { query }));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "invalid-parameter", parameter });
  });

  it("lists fills only when asked for type=filled", async () => {
    const response = await invoke<{ type: string }[]>("orders", httpEvent("orders", { query: "type=filled&limit=20" }));

    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(20);
    expect(new Set(response.body.map((o) => o.type))).toEqual(new Set(["order.filled"]));
    expect(response.body).toEqual(await upstream(`${workers.strategyUrl}/orders?type=filled&limit=20`));
  });

  it("filters orders by each kind of order event core defines, as the worker does", async () => {
    expect(ORDER_EVENT_KINDS.map((kind) => `order.${kind}`).sort()).toEqual(
      OrderEventSchema.options.map((o) => o.shape.type.value).sort(),
    );
    for (const kind of ORDER_EVENT_KINDS) {
      const response = await invoke<{ type: string }[]>("orders", httpEvent("orders", { query: `type=${kind}` }));
      expect(response.status, kind).toBe(200);
      expect(
        response.body.every((o) => o.type === `order.${kind}`),
        kind,
      ).toBe(true);
      expect(response.body, kind).toEqual(await upstream(`${workers.strategyUrl}/orders?type=${kind}`));
    }
  });

  it("answers positions and the portfolio as the worker does", async () => {
    expect((await invoke("positions")).body).toEqual(await upstream(`${workers.strategyUrl}/positions`));
    expect((await invoke("portfolio")).body).toEqual(await upstream(`${workers.strategyUrl}/portfolio`));
  });

  it("lists an alert for every halt in the worker's risk history, newest first", async () => {
    const risk = (await upstream(`${workers.strategyUrl}/risk?limit=500`)) as {
      type: string;
      data: { strategyId: string; tsEvent: number };
    }[];
    const halts = risk.filter((e) => e.type === "risk.halted");
    expect(halts.length).toBeGreaterThan(0);

    const response = await invoke<Alert[]>("alerts", httpEvent("alerts", { query: "limit=500" }));

    expect(response.status).toBe(200);
    expect(response.body.map((a) => a.id).sort()).toEqual(
      halts.map((h) => `${h.data.strategyId}:${h.data.tsEvent}`).sort(),
    );
    expect(response.body.map((a) => a.tsEvent)).toEqual([...response.body.map((a) => a.tsEvent)].sort((a, b) => b - a));
    expect(response.body[0]!.message).toMatch(/^Strategy [a-z]+ halted: drawdown \d+\.\d\d% reached its 0\.15% limit/);
  });
});

describe("health", () => {
  it("answers 200 with each dependency up when both workers are healthy", async () => {
    const response = await invoke<Health>("health");

    expect(response.status).toBe(200);
    expect(response.body.status).toBe("up");
    expect(response.body.dependencies.map((d) => [d.name, d.status])).toEqual([
      ["market-data", "up"],
      ["strategy", "up"],
    ]);
  });
});

describe("CORS", () => {
  it("allows the dashboard's origin, on answers and on problems", async () => {
    const ok = await invoke("quotes", httpEvent("quotes", { origin: "http://127.0.0.1:8080" }));
    const problem = await invoke(
      "quote",
      httpEvent("quote", { path: { symbol: "XYZ" }, origin: "http://localhost:8080" }),
    );

    expect(ok.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:8080");
    expect(ok.headers.vary).toContain("Origin");
    expect(problem.headers["access-control-allow-origin"]).toBe("http://localhost:8080");
  });

  it("does not allow another origin", async () => {
    const response = await invoke("quotes", httpEvent("quotes", { origin: "https://evil.example" }));

    expect(response.status).toBe(200);
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("the $default route (requests no route takes)", () => {
  it("answers an unknown path with 404 route-not-found problem+json, readable by the dashboard's origin", async () => {
    const notFound = createNotFound(deps);
    const before =
      (await sample(deps.metrics, "tickflow_http_requests_total", { route: "unmatched", status: "404" })) ?? 0;

    const response = parse<Problem>(
      await notFound(defaultRouteEvent("GET", "/api/nothing-here", { origin: "http://localhost:8080" }), context()),
    );

    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.headers["access-control-allow-origin"]).toBe("http://localhost:8080");
    expect(response.body).toEqual({
      type: "about:blank",
      title: "Not Found",
      status: 404,
      code: "route-not-found",
      detail: "no route for GET /api/nothing-here",
      instance: "/api/nothing-here",
    });
    expect(
      await sample(deps.metrics, "tickflow_http_requests_total", { route: "unmatched", method: "GET", status: "404" }),
    ).toBe(before + 1);
  });

  it("answers another method on a route's path with 405 method-not-allowed and Allow, counted under the route", async () => {
    const response = parse<Problem>(
      await createNotFound(deps)(defaultRouteEvent("DELETE", "/api/strategies/sma"), context()),
    );

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("GET");
    expect(response.body.code).toBe("method-not-allowed");
    expect(response.body.detail).toBe("DELETE is not allowed on /api/strategies/sma");
    expect(
      await sample(deps.metrics, "tickflow_http_requests_total", {
        route: "/api/strategies/{id}",
        method: "DELETE",
        status: "405",
      }),
    ).toBe(1);
  });

  it("is the Lambda entry DEFAULT_ROUTE_HANDLER names, configured from the environment", async () => {
    vi.resetModules();
    vi.stubEnv("CORS_ORIGINS", "https://app.example.com");
    try {
      const { handler } = await import("../src/http/handlers/not-found");

      const response = parse<Problem>(
        await handler(defaultRouteEvent("GET", "/", { origin: "https://app.example.com" }), context()),
      );

      expect(response.status).toBe(404);
      expect(response.body.code).toBe("route-not-found");
      expect(response.headers["access-control-allow-origin"]).toBe("https://app.example.com");
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("request metrics", () => {
  it("counts each request once under its route pattern and status, and times it", async () => {
    const before =
      (await sample(deps.metrics, "tickflow_http_requests_total", { route: "/api/quotes/{symbol}", status: "404" })) ??
      0;

    await invoke("quote", httpEvent("quote", { path: { symbol: "NOPE" } }));
    await invoke("quote", httpEvent("quote", { path: { symbol: "ZZZ" } }));

    expect(
      await sample(deps.metrics, "tickflow_http_requests_total", {
        route: "/api/quotes/{symbol}",
        method: "GET",
        status: "404",
      }),
    ).toBe(before + 2);
    expect(
      await sample(deps.metrics, "tickflow_http_request_duration_seconds_count", {
        route: "/api/quotes/{symbol}",
        method: "GET",
      }),
    ).toBeGreaterThanOrEqual(2);
  });
});

describe("the Lambda entry of a handler module", () => {
  it("reads its configuration from the environment on the first invocation", async () => {
    vi.resetModules();
    vi.stubEnv("MARKET_DATA_URL", workers.marketDataUrl);
    vi.stubEnv("STRATEGY_URL", workers.strategyUrl);
    try {
      const { handler } = await import("../src/http/handlers/quotes");

      const response = parse(await handler(httpFixture("http-api-quotes.json"), context()));

      expect(response.status).toBe(200);
      expect(response.body).toEqual(await upstream(`${workers.marketDataUrl}/quotes`));
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
