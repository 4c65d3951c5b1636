import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS } from "../src/http/endpoints";
import { lambdaContext } from "../src/local/events";
import type { Health, Problem } from "../src/schemas";
import { context, httpEvent, parse, sample, testDeps } from "./support/events";
import { refusedUrl, startFaultyServer, startInProcessWorkers, type InProcessWorkers } from "./support/workers";

const TIMEOUT_MS = 300;
const closers: (() => Promise<void>)[] = [];
let workers: InProcessWorkers;

beforeAll(async () => {
  workers = await startInProcessWorkers({ ticks: 600 });
}, 60_000);
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
afterAll(async () => {
  await workers?.stop();
});

async function faulty(behaviour: Parameters<typeof startFaultyServer>[0]): Promise<string> {
  const server = await startFaultyServer(behaviour);
  closers.push(server.close);
  return server.url;
}

describe("a failing market-data worker", () => {
  it("that hangs is answered with 503 upstream-timeout after the upstream timeout, with Retry-After", async () => {
    const deps = testDeps({ MARKET_DATA_URL: await faulty("hang"), UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) });
    const started = Date.now();

    const response = parse<Problem>(await ENDPOINTS.quotes.create(deps)(httpEvent("quotes"), context()));

    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(response.status).toBe(503);
    expect(response.headers["content-type"]).toBe("application/problem+json");
    expect(response.headers["retry-after"]).toBe("1");
    expect(response.body).toMatchObject({
      code: "upstream-timeout",
      upstream: "market-data",
      detail: `market-data did not answer within ${TIMEOUT_MS} ms`,
    });
    expect(
      await sample(deps.metrics, "tickflow_upstream_errors_total", { upstream: "market-data", kind: "timeout" }),
    ).toBe(1);
  });

  it("that stalls in the middle of its answer is a timeout too: the deadline covers the whole exchange", async () => {
    const deps = testDeps({ MARKET_DATA_URL: await faulty("stall-mid-body"), UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) });
    const started = Date.now();

    const response = parse<Problem>(await ENDPOINTS.quotes.create(deps)(httpEvent("quotes"), context()));

    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: "upstream-timeout", upstream: "market-data" });
  });

  it("that refuses connections is answered with 503 upstream-unavailable", async () => {
    const deps = testDeps({ MARKET_DATA_URL: await refusedUrl() });

    const response = parse<Problem>(await ENDPOINTS.instruments.create(deps)(httpEvent("instruments"), context()));

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: "upstream-unavailable", upstream: "market-data" });
    expect(response.body.detail).toContain("ECONNREFUSED");
    expect(
      await sample(deps.metrics, "tickflow_upstream_errors_total", { upstream: "market-data", kind: "unreachable" }),
    ).toBe(1);
  });

  it("that answers 500 is answered with 502 upstream-error", async () => {
    const deps = testDeps({ MARKET_DATA_URL: await faulty("error-500") });

    const response = parse<Problem>(await ENDPOINTS.quotes.create(deps)(httpEvent("quotes"), context()));

    expect(response.status).toBe(502);
    expect(response.body).toMatchObject({ code: "upstream-error", upstream: "market-data" });
    expect(
      await sample(deps.metrics, "tickflow_upstream_errors_total", { upstream: "market-data", kind: "server-error" }),
    ).toBe(1);
  });

  it.each([["not-json" as const], ["wrong-shape" as const]])(
    "that answers 200 with %s is answered with 502 upstream-invalid-response, never a 200",
    async (behaviour) => {
      const deps = testDeps({ MARKET_DATA_URL: await faulty(behaviour) });

      const response = parse<Problem>(await ENDPOINTS.quotes.create(deps)(httpEvent("quotes"), context()));

      expect(response.status).toBe(502);
      expect(response.body).toMatchObject({ code: "upstream-invalid-response", upstream: "market-data" });
    },
  );
});

describe("a worker that does not have the route the gateway calls", () => {
  it("is answered with 502 upstream-rejected, not passed on as the client's 404", async () => {
    const deps = testDeps({ STRATEGY_URL: await faulty("no-route") });

    const response = parse<Problem>(await ENDPOINTS.strategies.create(deps)(httpEvent("strategies"), context()));

    expect(response.status).toBe(502);
    expect(response.body).toMatchObject({ code: "upstream-rejected", upstream: "strategy" });
  });
});

describe("health with a dependency down", () => {
  it("answers 503 listing each dependency, the healthy one up and the others down with the reason", async () => {
    const deps = testDeps({
      MARKET_DATA_URL: workers.marketDataUrl,
      STRATEGY_URL: await faulty("hang"),
      DATABASE_URL: workers.databaseUrl,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
    });

    const response = parse<Health>(await ENDPOINTS.health.create(deps)(httpEvent("health"), context()));

    expect(response.status).toBe(503);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(response.body.status).toBe("down");
    expect(response.body.dependencies).toEqual([
      { name: "market-data", status: "up", latencyMs: expect.any(Number) },
      {
        name: "strategy",
        status: "down",
        latencyMs: expect.any(Number),
        detail: `strategy did not answer within ${TIMEOUT_MS} ms`,
      },
      { name: "database", status: "up", latencyMs: expect.any(Number) },
    ]);
  });

  it("reports a worker whose own health check fails as down", async () => {
    const deps = testDeps({
      MARKET_DATA_URL: await faulty("unhealthy"),
      STRATEGY_URL: await refusedUrl(),
      DATABASE_URL: `postgres://postgres@${new URL(await refusedUrl()).host}/postgres`,
    });

    const response = parse<Health>(await ENDPOINTS.health.create(deps)(httpEvent("health"), context()));

    expect(response.status).toBe(503);
    expect(response.body.dependencies.map((d) => [d.name, d.status, d.detail])).toEqual([
      ["market-data", "down", "market-data reports itself unhealthy (HTTP 503 from /health)"],
      ["strategy", "down", expect.stringContaining("ECONNREFUSED")],
      ["database", "down", "the read side's database did not answer (ECONNREFUSED)"],
    ]);
  });
});

describe("the read side", () => {
  it("answers every history route with 503 read-side-unavailable saying what to set when no database is configured", async () => {
    const deps = testDeps({});
    for (const name of [
      "bars",
      "signals",
      "orders",
      "fills",
      "trades",
      "equity",
      "positions",
      "portfolio",
      "alerts",
    ] as const) {
      const event = name === "bars" ? httpEvent(name, { path: { symbol: "AAPL" } }) : httpEvent(name);
      const response = parse<Problem>(await ENDPOINTS[name].create(deps)(event, context()));
      expect(response.status, name).toBe(503);
      expect(response.body, name).toMatchObject({
        code: "read-side-unavailable",
        detail: expect.stringContaining("DATABASE_URL"),
      });
    }
  });

  it("answers 503 read-side-unavailable, not 500, when the database does not answer, without its address in the answer", async () => {
    const host = new URL(await refusedUrl()).host;
    const deps = testDeps({ DATABASE_URL: `postgres://tickflow:secret@${host}/tickflow`, UPSTREAM_TIMEOUT_MS: "500" });
    const response = parse<Problem>(await ENDPOINTS.fills.create(deps)(httpEvent("fills"), context()));
    expect(response.status).toBe(503);
    expect(response.body.code).toBe("read-side-unavailable");
    expect(JSON.stringify(response.body)).not.toContain(host);
    expect(JSON.stringify(response.body)).not.toContain("secret");
  });
});

describe("the Lambda's own deadline", () => {
  it("bounds a slow upstream call when it is shorter than the upstream timeout: 503, not a Lambda timeout", async () => {
    const deps = testDeps({ STRATEGY_URL: await faulty("hang"), UPSTREAM_TIMEOUT_MS: "10000" });
    const started = Date.now();

    const response = parse<Problem>(
      await ENDPOINTS.strategies.create(deps)(
        httpEvent("strategies"),
        lambdaContext("tickflow-gateway-strategies", 400),
      ),
    );

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(response.status).toBe(503);
    expect(response.body.code).toBe("timeout");
  });
});
