import { afterEach, describe, expect, it, vi } from "vitest";
import { CATALOG, catalogMarkdown, createMetrics, EmfMetrics, PrometheusMetrics } from "../src";

describe("Prometheus sink", () => {
  it("exposes every catalog metric with its help, type and the service label", async () => {
    const metrics = new PrometheusMetrics({ service: "strategy" });
    metrics.inc("tickflow_fills_total", { strategy: "sma", symbol: "AAPL", side: "buy" }, 2);
    metrics.set("tickflow_equity", { strategy: "sma" }, 100_123.45);
    metrics.observe("tickflow_tick_to_signal_seconds", { strategy: "sma" }, 0.004);
    const { contentType, body } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain/);
    for (const [name, spec] of Object.entries(CATALOG)) expect(body).toContain(`# TYPE ${name} ${spec.type === "histogram" ? "histogram" : spec.type}`);
    expect(body).toContain('tickflow_fills_total{strategy="sma",symbol="AAPL",side="buy",service="strategy"} 2');
    expect(body).toContain('tickflow_equity{strategy="sma",service="strategy"} 100123.45');
    expect(body).toContain('tickflow_tick_to_signal_seconds_bucket{le="0.005",service="strategy",strategy="sma"} 1');
  });

  it("runs scrape-time collectors so computed gauges are fresh", async () => {
    const metrics = new PrometheusMetrics();
    let age = 1;
    metrics.onCollect(() => metrics.set("tickflow_last_tick_age_seconds", { symbol: "AAPL" }, age++));
    expect((await metrics.exposition()).body).toContain('tickflow_last_tick_age_seconds{symbol="AAPL"} 1');
    expect((await metrics.exposition()).body).toContain('tickflow_last_tick_age_seconds{symbol="AAPL"} 2');
  });
});

describe("EMF sink", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes CloudWatch embedded-metric JSON with the catalog names, units and dimensions", async () => {
    // AWS_EMF_ENVIRONMENT=Local (set for this project in vitest.config.ts) prints EMF to stdout
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new EmfMetrics("Tickflow", "gateway");
    metrics.inc("tickflow_http_requests_total", { route: "/api/quotes", method: "GET", status: "200" });
    metrics.inc("tickflow_http_requests_total", { route: "/api/quotes", method: "GET", status: "200" });
    metrics.observe("tickflow_http_request_duration_seconds", { route: "/api/quotes", method: "GET" }, 0.012);
    metrics.set("tickflow_up", {}, 0);
    metrics.set("tickflow_up", {}, 1);
    await metrics.flush();
    write.mockRestore();
    const docs = lines.flatMap((l) => l.split("\n")).filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l));
    expect(docs).toHaveLength(3);
    const requests = docs.find((d) => "tickflow_http_requests_total" in d);
    expect(requests).toMatchObject({ service: "gateway", route: "/api/quotes", method: "GET", status: "200", tickflow_http_requests_total: [1, 1] });
    expect(requests._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "Tickflow",
      Dimensions: [["service", "route", "method", "status"]],
      Metrics: [{ Name: "tickflow_http_requests_total", Unit: "Count" }],
    });
    expect(docs.find((d) => "tickflow_http_request_duration_seconds" in d)._aws.CloudWatchMetrics[0].Metrics[0]).toMatchObject({ Unit: "Seconds" });
    expect(docs.find((d) => "tickflow_up" in d)).toMatchObject({ tickflow_up: 1, service: "gateway" });
  });

  it("sends counters once and gauges at every flush, so a steady gauge never goes missing", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new EmfMetrics("Tickflow", "strategy");
    metrics.inc("tickflow_fills_total", { strategy: "sma", symbol: "AAPL", side: "buy" });
    metrics.set("tickflow_up", {}, 1);
    await metrics.flush();
    lines.length = 0;
    await metrics.flush();
    vi.restoreAllMocks();
    const docs = lines.flatMap((l) => l.split("\n")).filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ tickflow_up: 1, service: "strategy" });
    expect(docs[0]).not.toHaveProperty("tickflow_fills_total");
  });
});

describe("sink choice and catalog", () => {
  it("uses EMF in Lambda, Prometheus elsewhere, and names METRICS_SINK when it is wrong", () => {
    expect(createMetrics({ AWS_LAMBDA_FUNCTION_NAME: "f" }, "gateway")).toBeInstanceOf(EmfMetrics);
    expect(createMetrics({}, "gateway")).toBeInstanceOf(PrometheusMetrics);
    expect(createMetrics({ METRICS_SINK: "emf" }, "strategy")).toBeInstanceOf(EmfMetrics);
    expect(() => createMetrics({ METRICS_SINK: "statsd" }, "x")).toThrow(/METRICS_SINK must be emf or prometheus/);
  });

  it("names every metric with a unit-bearing, Prometheus-valid name and renders a Markdown row each", () => {
    for (const [name, spec] of Object.entries(CATALOG)) {
      expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (spec.type === "counter") expect(name).toMatch(/_total$/);
      if (spec.unit === "seconds" && spec.type !== "counter") expect(name).toMatch(/_seconds$/);
    }
    expect(catalogMarkdown().split("\n")).toHaveLength(Object.keys(CATALOG).length + 2);
  });
});

describe("service HTTP", () => {
  it("answers a malformed path with 400 problem+json instead of failing, and counts it under its route", async () => {
    const { startServiceHttp } = await import("../src");
    const metrics = new PrometheusMetrics();
    const http = await startServiceHttp({
      port: 0,
      metrics,
      health: async () => ({ ok: true }),
      routes: [{ method: "GET", path: "/things/:id", handle: ({ params }) => ({ status: 200, body: { id: params.id } }) }],
    });
    try {
      const bad = await fetch(`http://127.0.0.1:${http.port}/things/%E0`);
      expect(bad.status).toBe(400);
      expect(bad.headers.get("content-type")).toBe("application/problem+json");
      expect(await bad.json()).toMatchObject({ code: "invalid-path" });
      expect(await (await fetch(`http://127.0.0.1:${http.port}/things/a%20b`)).json()).toEqual({ id: "a b" });
      expect((await metrics.exposition()).body).toMatch(/tickflow_http_requests_total\{route="\/things\/:id",method="GET",status="400"\} 1/);
    } finally {
      await http.close();
    }
  });

  it("reads limit as a positive integer, capped at what is kept", async () => {
    const { queryLimit } = await import("../src");
    const q = (text: string) => new URLSearchParams(text);
    expect(queryLimit(q(""), 100, 500)).toBe(100);
    expect(queryLimit(q("limit=7"), 100, 500)).toBe(7);
    expect(queryLimit(q("limit=9000"), 100, 500)).toBe(500);
    for (const bad of ["limit=0", "limit=-3", "limit=abc", "limit=1.5", "limit="]) expect(() => queryLimit(q(bad), 100, 500)).toThrow(/limit must be a positive integer/);
  });
});
