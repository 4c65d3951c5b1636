import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CATALOG, PrometheusMetrics, type MetricSpec } from "@tickflow/metrics";
import { startServiceHttp } from "@tickflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  allPanels,
  dashboardQueries,
  evaluateDashboards,
  loadDashboards,
  SAMPLE_VALUES,
  substituteVariables,
  type DashboardEvaluation,
} from "../dashboards";
import { freePort, startPrometheus, until, waitForScrapes, type RunningPrometheus } from "@tickflow/test-support";

const PROMETHEUS_DIR = resolve(import.meta.dirname, "../prometheus");

describe("substituteVariables", () => {
  it("replaces every Grafana variable form with its value", () => {
    const values = { symbol: "AAPL", __rate_interval: "1m" };
    expect(substituteVariables('rate(x{symbol=~"$symbol"}[$__rate_interval])', values)).toBe(
      'rate(x{symbol=~"AAPL"}[1m])',
    );
    expect(substituteVariables('x{symbol=~"${symbol}", a="${symbol:regex}", b="[[symbol]]"}', values)).toBe(
      'x{symbol=~"AAPL", a="AAPL", b="AAPL"}',
    );
    expect(substituteVariables("Mid price: $symbol", values)).toBe("Mid price: AAPL");
  });

  it("leaves regex back-references such as label_replace's $1 alone", () => {
    expect(substituteVariables('label_replace(up, "a", "$1", "job", "(.*)")', {})).toBe(
      'label_replace(up, "a", "$1", "job", "(.*)")',
    );
  });

  it("names every variable it has no value for", () => {
    expect(() =>
      substituteVariables('x{strategy=~"$strategy", s="$service"}[$__rate_interval]', { __rate_interval: "1m" }),
    ).toThrow(/no value for \$strategy, \$service in:/);
  });
});

describe("dashboardQueries", () => {
  it("gives every panel target of every dashboard with the sample values in place of the variables", () => {
    const queries = dashboardQueries();
    const targets = loadDashboards().flatMap(({ dashboard }) => allPanels(dashboard).flatMap((p) => p.targets ?? []));
    expect(queries).toHaveLength(targets.length);
    expect(queries.filter((q) => q.expr.includes("$") && !q.expr.includes('"$1"'))).toEqual([]);
    expect(queries).toContainEqual({
      dashboard: "Tickflow: Market Data",
      panel: "Ticks published per second by symbol",
      expr: 'sum by (symbol) (rate(tickflow_ticks_published_total{symbol=~"AAPL"}[1m]))',
    });
    // a repeated panel's title carries the variable; a panel with several targets names each
    expect(queries.map((q) => q.panel)).toContain("Mid price: AAPL");
    expect(queries.filter((q) => q.panel.startsWith("Publish latency")).map((q) => q.panel)).toEqual([
      "Publish latency [A]",
      "Publish latency [B]",
    ]);
  });

  it("takes other values, e.g. another strategy", () => {
    const queries = dashboardQueries({ ...SAMPLE_VALUES, strategy: "breakout" });
    expect(queries.find((q) => q.panel === "Drawdown from equity peak")?.expr).toBe(
      'max by (strategy) (tickflow_drawdown_ratio{strategy=~"breakout"})',
    );
  });

  it("fails naming the file, the panel and the variable when a value is missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickflow-dashboards-"));
    try {
      const dashboard = {
        uid: "x",
        title: "X",
        templating: { list: [] },
        panels: [
          {
            id: 1,
            type: "timeseries",
            title: "Fills",
            targets: [{ refId: "A", expr: 'tickflow_fills_total{side="$side"}' }],
          },
        ],
      };
      await writeFile(join(dir, "x.json"), JSON.stringify(dashboard));
      expect(() => dashboardQueries(SAMPLE_VALUES, dir)).toThrow('x.json, panel "Fills" target A: no value for $side');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A value for every catalog label, so each metric gets a series. */
const LABEL_VALUES: Record<string, string> = {
  symbol: "AAPL",
  strategy: "sma-crossover",
  topic: "md.quotes.v1",
  partition: "0",
  group: "tickflow-strategy",
  route: "/api/quotes",
  method: "GET",
  status: "200",
  direction: "long",
  outcome: "submitted",
  side: "buy",
  kind: "duplicate",
  reason: "invalid-json",
  processor: "tickflow-strategy",
  upstream: "strategy",
  type: "risk.halted",
  channel: "log",
  table: "fills",
};

/** Moves every catalog metric the service exposes, the way a busy service would between scrapes. */
function exercise(metrics: PrometheusMetrics, service: string): void {
  for (const [name, raw] of Object.entries(CATALOG)) {
    const spec = raw as MetricSpec;
    if (spec.builtin || !spec.services.some((s) => s === service || s === "all")) continue;
    const labels = Object.fromEntries(spec.labels.map((label) => [label, LABEL_VALUES[label]!]));
    // The facade types each name with its labels; a loop over the whole catalog cannot be typed so.
    if (spec.type === "counter") metrics.inc(name as never, labels as never);
    else if (spec.type === "gauge") metrics.set(name as never, labels as never, 1);
    else metrics.observe(name as never, labels as never, 0.004);
  }
}

describe("every dashboard query against a real Prometheus", () => {
  const services = ["market-data", "strategy", "projector", "gateway"];
  const servers: { close(): Promise<void> }[] = [];
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const ports: Record<string, number> = {};
    for (const service of services) {
      const metrics = new PrometheusMetrics({ service });
      metrics.onCollect(() => exercise(metrics, service));
      const http = await startServiceHttp({ port: 0, routes: [], metrics, health: async () => ({ ok: true }) });
      servers.push(http);
      ports[service] = http.port;
    }
    // The local runner's own config and rules, with the targets moved to the synthetic services.
    const local = parse(readFileSync(join(PROMETHEUS_DIR, "prometheus.local.yml"), "utf8")) as {
      global: object;
      rule_files: string[];
      scrape_configs: { job_name: string }[];
    };
    prometheus = await startPrometheus({
      ...local,
      global: { ...local.global, scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: local.rule_files.map((f) => join(PROMETHEUS_DIR, f)),
      scrape_configs: local.scrape_configs.map((c) => ({
        ...c,
        static_configs: [{ targets: [`127.0.0.1:${ports[c.job_name]}`] }],
      })),
    });
    await waitForScrapes(prometheus, services, 3);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const server of servers) await server.close();
  });

  it("parses, runs and returns at least one series for every panel", async () => {
    let results: DashboardEvaluation[] = [];
    // recording rules lag the scrapes by an evaluation or two
    await until(
      "every dashboard query to return series",
      async () => {
        results = await evaluateDashboards(prometheus.url);
        if (results.some((r) => !r.ok || r.series === 0)) throw new Error("not yet");
      },
      20_000,
    ).catch(() => {});
    expect(results.length).toBe(dashboardQueries().length);
    expect(
      results
        .filter((r) => !r.ok || r.series === 0)
        .map((r) => `${r.dashboard} / ${r.panel}: ${r.error ?? "no series"} (${r.expr})`),
    ).toEqual([]);
  });

  it("reports a query Prometheus rejects with its error, and goes on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tickflow-dashboards-"));
    try {
      const targets = [
        { refId: "A", expr: "sum by (le (tickflow_up)" },
        { refId: "B", expr: "tickflow_up" },
      ];
      await writeFile(
        join(dir, "bad.json"),
        JSON.stringify({
          uid: "b",
          title: "Bad",
          templating: { list: [] },
          panels: [{ id: 1, type: "timeseries", title: "Up", targets }],
        }),
      );
      const [bad, good] = await evaluateDashboards(prometheus.url, { dir });
      expect(bad).toMatchObject({ dashboard: "Bad", panel: "Up [A]", ok: false, series: 0 });
      expect(bad!.error).toMatch(/^bad_data: .*parse error/);
      expect(good).toMatchObject({ panel: "Up [B]", ok: true, series: services.length, error: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports every query as failed, with the reason, when Prometheus does not answer", async () => {
    const results = await evaluateDashboards(`http://127.0.0.1:${await freePort()}`);
    expect(results.length).toBe(dashboardQueries().length);
    for (const r of results)
      expect(r).toMatchObject({ ok: false, series: 0, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
