import { decodeEvent, type DecodedEvent, type TopicId } from "@tickflow/bus";
import { FillPageSchema, InstrumentSpecSchema, type OrderFilled, type TradeClosed } from "@tickflow/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { HttpHandler } from "../src/http/endpoint";
import { ENDPOINTS } from "../src/http/endpoints";
import { ROUTES, type HandlerName } from "../src/http/routes";
import type { Alert, Health, Problem } from "../src/schemas";
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
  deps = testDeps({
    MARKET_DATA_URL: workers.marketDataUrl,
    STRATEGY_URL: workers.strategyUrl,
    DATABASE_URL: workers.databaseUrl,
  });
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

/** Every event on a topic of the in-memory bus, decoded, in offset order per partition. */
async function topic(id: TopicId): Promise<DecodedEvent[]> {
  return (await workers.bus.readTail(id, 1_000_000)).map((r) => decodeEvent(r.value));
}

describe("strategy routes (the running engine)", () => {
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
});

describe("history routes (the read side)", () => {
  it("answers bars from the read side, the latest closed bars oldest first, within [from, to)", async () => {
    const published = (await topic("bars"))
      .map((e) => e.data as { symbol: string; interval: string; start: number })
      .filter((b) => b.symbol === "BTC-USD" && b.interval === "1s")
      .sort((x, y) => x.start - y.start);
    const response = await invoke<{ start: number }[]>(
      "bars",
      httpEvent("bars", { path: { symbol: "BTC-USD" }, query: "interval=1s&limit=10" }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual(published.slice(-10));

    const from = published[3]!.start;
    const to = published[6]!.start;
    const ranged = await invoke(
      "bars",
      httpEvent("bars", { path: { symbol: "BTC-USD" }, query: `interval=1s&from=${from}&to=${to}` }),
    );
    expect(ranged.body).toEqual(published.slice(3, 6));
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
    ["from=-1", "from"],
    ["to=1.5", "to"],
  ])("answers bars?%s with 400 invalid-parameter naming %s", async (query, parameter) => {
    const response = await invoke<Problem>("bars", httpEvent("bars", { path: { symbol: "AAPL" }, query }));

    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.body).toMatchObject({ code: "invalid-parameter", parameter, errors: [{ parameter, in: "query" }] });
  });

  it("pages every fill exactly once, newest first, and filters by strategy, symbol and side", async () => {
    const published = (await topic("orders"))
      .filter((e) => e.type === "order.filled")
      .map((e) => e.data as OrderFilled);
    expect(published.length).toBeGreaterThan(50);
    const seen: OrderFilled[] = [];
    let query = "limit=17";
    for (;;) {
      const page = await invoke<{ items: OrderFilled[]; next: string | null }>("fills", httpEvent("fills", { query }));
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      if (!page.body.next) break;
      query = `limit=17&cursor=${encodeURIComponent(page.body.next)}`;
    }
    const key = (f: OrderFilled) => `${f.orderId}:${f.fillNo}`;
    expect(seen.map(key).sort()).toEqual(published.map(key).sort());
    expect(new Set(seen.map(key)).size).toBe(seen.length);

    const some = await invoke<{ items: OrderFilled[] }>(
      "fills",
      httpEvent("fills", { query: "strategy=mr&symbol=AAPL&side=sell&limit=1000" }),
    );
    const expected = published.filter((f) => f.strategyId === "mr" && f.symbol === "AAPL" && f.side === "sell");
    expect(some.body.items.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it("lists closed trades and orders at their latest state, filtered by status and type", async () => {
    const trades = (await topic("trades")).map((e) => e.data as TradeClosed);
    const response = await invoke<{ items: TradeClosed[] }>("trades", httpEvent("trades", { query: "limit=1000" }));
    expect(response.body.items.map((t) => t.tradeId).sort()).toEqual(trades.map((t) => t.tradeId).sort());

    const orderEvents = await topic("orders");
    // every order has a row: submitted ones, and those the risk gate rejected before they were submitted
    const submitted = new Set(
      orderEvents
        .filter((e) => e.type === "order.submitted" || e.type === "order.rejected")
        .map((e) => (e.data as { orderId: string }).orderId),
    );
    const filledIds = new Set(
      orderEvents
        .filter((e) => e.type === "order.filled" && (e.data as OrderFilled).leavesQuantity === 0)
        .map((e) => (e.data as OrderFilled).orderId),
    );
    const all: { orderId: string; status: string }[] = [];
    let query = "limit=1000";
    for (;;) {
      const page = await invoke<{ items: { orderId: string; status: string }[]; next: string | null }>(
        "orders",
        httpEvent("orders", { query }),
      );
      all.push(...page.body.items);
      if (!page.body.next) break;
      query = `limit=1000&cursor=${encodeURIComponent(page.body.next)}`;
    }
    expect(new Set(all.map((o) => o.orderId))).toEqual(submitted);
    const filled = await invoke<{ items: { orderId: string; status: string }[] }>(
      "orders",
      httpEvent("orders", { query: "status=filled&limit=1000" }),
    );
    expect(new Set(filled.body.items.map((o) => o.orderId))).toEqual(filledIds);
    const limits = await invoke<{ items: { type: string }[] }>(
      "orders",
      httpEvent("orders", { query: "type=limit&limit=1000" }),
    );
    expect(limits.body.items.every((o) => o.type === "limit")).toBe(true);
  });

  it("answers a page as CSV with the same rows as JSON, and the next page in Link", async () => {
    const json = await invoke<{ items: OrderFilled[]; next: string }>(
      "fills",
      httpEvent("fills", { query: "limit=5" }),
    );
    const event = httpEvent("fills", { query: "limit=5", origin: "http://127.0.0.1:8080" });
    event.headers = { ...event.headers, accept: "text/csv" };
    const result = await handlers.fills(event, context());
    expect(result.statusCode).toBe(200);
    expect(result.headers?.["content-type"]).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = String(result.body).trimEnd().split("\r\n");
    const columns = header!.split(",");
    expect(columns).toEqual(Object.keys(FillPageSchema.shape.items.element.shape));
    expect(rows).toHaveLength(5);
    rows.forEach((row, i) => {
      const values = row.split(",");
      const fill = json.body.items[i]! as unknown as Record<string, unknown>;
      columns.forEach((c, j) => expect(values[j], c).toBe(String(fill[c])));
    });
    expect(result.headers?.link).toBe(`</api/fills?limit=5&cursor=${encodeURIComponent(json.body.next)}>; rel="next"`);
    // the dashboard on another origin may read it
    expect(result.headers?.["Access-Control-Expose-Headers"] ?? result.headers?.["access-control-expose-headers"]).toBe(
      "link,location",
    );
  });

  it("answers an unknown strategy or symbol filter with 404, what is no cursor with 400", async () => {
    for (const name of ["fills", "trades", "orders", "signals", "equity"] as const) {
      const unknown = await invoke<Problem>(name, httpEvent(name, { query: "strategy=nobody" }));
      expect(unknown.status, name).toBe(404);
      expect(unknown.body, name).toMatchObject({ code: "unknown-strategy", parameter: "strategy" });
    }
    for (const name of ["fills", "trades", "orders", "signals"] as const) {
      const unknown = await invoke<Problem>(name, httpEvent(name, { query: "symbol=FOO" }));
      expect(unknown.status, name).toBe(404);
      expect(unknown.body, name).toMatchObject({ code: "unknown-symbol", parameter: "symbol" });
    }
    const bad = await invoke<Problem>("fills", httpEvent("fills", { query: "cursor=NOT-A-CURSOR" }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "invalid-parameter", parameter: "cursor" });
  });

  it("answers the recorded event with a repeated symbol (joined as AAPL,MSFT) with 400 naming symbol", async () => {
    const response = await invoke<Problem>("signals", httpFixture("http-api-signals-repeated-symbol.json"));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: "invalid-parameter", parameter: "symbol" });
  });

  it("filters signals by symbol and strategy", async () => {
    const published = (await topic("signals")).map(
      (e) => e.data as { signalId: string; symbol: string; strategyId: string },
    );
    const response = await invoke<{ items: { signalId: string }[] }>(
      "signals",
      httpEvent("signals", { query: "symbol=AAPL&strategy=sma&limit=1000" }),
    );
    expect(response.status).toBe(200);
    expect(response.body.items.map((s) => s.signalId).sort()).toEqual(
      published
        .filter((s) => s.symbol === "AAPL" && s.strategyId === "sma")
        .map((s) => s.signalId)
        .sort(),
    );
  });

  it("serves positions, equity and the portfolio from the samples the engine published", async () => {
    const positions = await invoke<{ strategyId: string; symbol: string; quantity: number }[]>("positions");
    const latest = new Map<string, number>();
    for (const e of await topic("positions")) {
      const p = e.data as { strategyId: string; symbol: string; quantity: number };
      latest.set(`${p.strategyId}:${p.symbol}`, p.quantity);
    }
    expect(new Map(positions.body.map((p) => [`${p.strategyId}:${p.symbol}`, p.quantity]))).toEqual(latest);

    const samples = (await topic("equity"))
      .filter((e) => e.type === "portfolio.sampled")
      .map((e) => e.data as { tsEvent: number; equity: number });
    const lastByTs = new Map(samples.map((p) => [p.tsEvent, p.equity]));
    const equity = await invoke<{ items: { ts: number; equity: number }[] }>(
      "equity",
      httpEvent("equity", { query: "limit=1000" }),
    );
    expect(equity.body.items.map((p) => [p.ts, p.equity])).toEqual(
      [...lastByTs].sort((a, b) => a[0] - b[0]).slice(0, 1000),
    );

    const portfolio = await invoke<{ equity: number; strategies: { strategyId: string }[]; maxDrawdown: number }>(
      "portfolio",
    );
    const last = samples.at(-1)!;
    expect(portfolio.status).toBe(200);
    expect(portfolio.body.equity).toBe(lastByTs.get(last.tsEvent));
    expect(portfolio.body.strategies.map((s) => s.strategyId)).toEqual(["bo", "mr", "sma"]);
  });

  it("lists an alert for every halt the read side holds, newest first", async () => {
    const halts = (await topic("risk"))
      .filter((e) => e.type === "risk.halted")
      .map((e) => e.data as { strategyId: string; tsEvent: number });
    expect(halts.length).toBeGreaterThan(0);

    const response = await invoke<Alert[]>("alerts", httpEvent("alerts", { query: "limit=500" }));

    expect(response.status).toBe(200);
    expect(response.body.map((a) => a.id).sort()).toEqual(halts.map((h) => `${h.strategyId}:${h.tsEvent}`).sort());
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
      ["database", "up"],
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
      await createNotFound(deps)(defaultRouteEvent("PUT", "/api/strategies/sma"), context()),
    );

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("GET, DELETE, PATCH");
    expect(response.body.code).toBe("method-not-allowed");
    expect(response.body.detail).toBe("PUT is not allowed on /api/strategies/sma");
    expect(
      await sample(deps.metrics, "tickflow_http_requests_total", {
        route: "/api/strategies/{id}",
        method: "PUT",
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
