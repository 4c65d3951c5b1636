import { EmfMetrics, PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayConfig } from "../src/config";
import { createGatewayDeps } from "../src/http/deps";
import { ENDPOINTS } from "../src/http/endpoints";
import { captureEmf } from "./support/emf";
import { context, httpEvent, parse, sample } from "./support/events";
import { refusedUrl, startFaultyServer } from "./support/workers";

const logger = pino({ level: "silent" });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("the metrics flush at the end of an invocation", () => {
  it("writes the invocation's EMF documents when the handler answers and when it fails", async () => {
    const emf = captureEmf();
    try {
      const metrics = new EmfMetrics("Tickflow", "gateway");
      const deps = createGatewayDeps({
        config: gatewayConfig({ MARKET_DATA_URL: await refusedUrl() }),
        metrics,
        logger,
      });

      const ok = await ENDPOINTS.openapi.create(deps)(httpEvent("openapi"), context());
      const afterOk = emf.documents();
      const failed = await ENDPOINTS.quotes.create(deps)(httpEvent("quotes"), context());
      const all = emf.documents();

      expect(ok.statusCode).toBe(200);
      expect(afterOk).toContainEqual(
        expect.objectContaining({
          route: "/api/openapi.json",
          method: "GET",
          status: "200",
          tickflow_http_requests_total: 1,
        }),
      );
      expect(failed.statusCode).toBe(503);
      const fresh = all.slice(afterOk.length);
      expect(fresh).toContainEqual(
        expect.objectContaining({
          route: "/api/quotes",
          status: "503",
          tickflow_http_requests_total: 1,
          service: "gateway",
        }),
      );
      expect(fresh).toContainEqual(
        expect.objectContaining({ upstream: "market-data", kind: "unreachable", tickflow_upstream_errors_total: 1 }),
      );
      expect(fresh.find((d) => "tickflow_http_request_duration_seconds" in d)).toMatchObject({
        route: "/api/quotes",
        method: "GET",
      });
    } finally {
      emf.restore();
    }
  });

  it("never turns an answered request into an error when flushing fails", async () => {
    const metrics = new PrometheusMetrics({ service: "gateway" });
    metrics.flush = async () => {
      throw new Error("EMF agent unreachable");
    };
    const deps = createGatewayDeps({ config: gatewayConfig({}), metrics, logger });

    const response = await ENDPOINTS.openapi.create(deps)(httpEvent("openapi"), context());

    expect(response.statusCode).toBe(200);
  });
});

describe("request metrics under concurrency", () => {
  it("records every one of many overlapping invocations once, each with its own status", async () => {
    const slow = await startFaultyServer("hang");
    closers.push(slow.close);
    const metrics = new PrometheusMetrics({ service: "gateway" });
    const deps = createGatewayDeps({
      config: gatewayConfig({ MARKET_DATA_URL: slow.url, UPSTREAM_TIMEOUT_MS: "200" }),
      metrics,
      logger,
    });
    const quotes = ENDPOINTS.quotes.create(deps);
    const quote = ENDPOINTS.quote.create(deps);

    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => quotes(httpEvent("quotes"), context())),
      ...Array.from({ length: 5 }, () => quote(httpEvent("quote", { path: { symbol: "NOPE" } }), context())),
    ]);

    expect(results.map((r) => parse(r).status)).toEqual([503, 503, 503, 503, 503, 404, 404, 404, 404, 404]);
    expect(await sample(metrics, "tickflow_http_requests_total", { route: "/api/quotes", status: "503" })).toBe(5);
    expect(
      await sample(metrics, "tickflow_http_requests_total", { route: "/api/quotes/{symbol}", status: "404" }),
    ).toBe(5);
    expect(await sample(metrics, "tickflow_http_request_duration_seconds_count", { route: "/api/quotes" })).toBe(5);
    // the five 503s waited for the upstream timeout; the 404s did not wait for them
    expect(
      await sample(metrics, "tickflow_http_request_duration_seconds_sum", { route: "/api/quotes" }),
    ).toBeGreaterThan(5 * 0.19);
    expect(
      await sample(metrics, "tickflow_http_request_duration_seconds_sum", { route: "/api/quotes/{symbol}" }),
    ).toBeLessThan(5 * 0.1);
  });
});
