import { afterEach, describe, expect, it, vi } from "vitest";
import { CATALOG, catalogMarkdown, createMetrics, EmfMetrics, MetricsEnvSchema, PrometheusMetrics } from "../src";

describe("Prometheus sink", () => {
  it("exposes every catalog metric with its help, type and the service label", async () => {
    const metrics = new PrometheusMetrics({ service: "strategy" });
    metrics.inc("tickflow_fills_total", { strategy: "sma", symbol: "AAPL", side: "buy" }, 2);
    metrics.set("tickflow_equity", { strategy: "sma" }, 100_123.45);
    metrics.observe("tickflow_tick_to_signal_seconds", { strategy: "sma" }, 0.004);
    const { contentType, body } = await metrics.exposition();
    expect(contentType).toMatch(/^text\/plain/);
    for (const [name, spec] of Object.entries(CATALOG))
      expect(body).toContain(`# TYPE ${name} ${spec.type === "histogram" ? "histogram" : spec.type}`);
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
    const docs = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(3);
    const requests = docs.find((d) => "tickflow_http_requests_total" in d);
    expect(requests).toMatchObject({
      service: "gateway",
      route: "/api/quotes",
      method: "GET",
      status: "200",
      tickflow_http_requests_total: [1, 1],
    });
    expect(requests._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "Tickflow",
      Dimensions: [["service", "route", "method", "status"]],
      Metrics: [{ Name: "tickflow_http_requests_total", Unit: "Count" }],
    });
    expect(
      docs.find((d) => "tickflow_http_request_duration_seconds" in d)._aws.CloudWatchMetrics[0].Metrics[0],
    ).toMatchObject({ Unit: "Seconds" });
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
    const docs = lines
      .flatMap((l) => l.split("\n"))
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l));
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
    const wrong = MetricsEnvSchema.safeParse({ METRICS_SINK: "statsd" });
    expect(wrong.success).toBe(false);
    expect(wrong.error!.issues).toMatchObject([{ path: ["METRICS_SINK"], message: "must be emf or prometheus" }]);
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
