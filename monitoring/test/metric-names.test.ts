import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CATALOG } from "@tickflow/metrics";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allPanels, dashboardQueries, loadDashboards, SAMPLE_VALUES } from "../dashboards";
import { metricNames, unknownNames, variableMetricNames } from "./promql-names";

const MONITORING = resolve(import.meta.dirname, "..");

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}
const rules = ["recording.yml", "alerts.yml"].flatMap((file) =>
  (
    parse(readFileSync(resolve(MONITORING, "prometheus/rules", file), "utf8")) as { groups: { rules: Rule[] }[] }
  ).groups.flatMap((g) => g.rules),
);
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const dashboards = loadDashboards();

describe("metricNames", () => {
  it("finds the metric names and nothing else: not functions, labels, strings, durations or keywords", () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (service, le) (rate(tickflow_http_request_duration_seconds_bucket{route!="/metrics", status=~"5.."}[5m])))',
      ),
    ).toEqual(["tickflow_http_request_duration_seconds_bucket"]);
    expect(
      metricNames(
        `(max by (strategy) (tickflow_drawdown_ratio) > 0.05) unless on (strategy) (max by (strategy) (tickflow_strategy_halted) == 1)`,
      ).sort(),
    ).toEqual(["tickflow_drawdown_ratio", "tickflow_strategy_halted"]);
    expect(
      metricNames(
        'sum(x_total offset 10m) without (instance) * on (job) group_left (service) up @ 1609746000 or label_replace(vector(1e3), "a", "$1", "b", "(.*)")',
      ).sort(),
    ).toEqual(["up", "x_total"]);
    expect(
      metricNames(
        "service:tickflow_http_errors:rate5m / ignoring (status) service:tickflow_http_requests:rate5m bool > 1",
      ),
    ).toEqual(["service:tickflow_http_errors:rate5m", "service:tickflow_http_requests:rate5m"]);
    expect(metricNames("max_over_time(tickflow_position[10m:1m])")).toEqual(["tickflow_position"]);
  });

  it("reads the metric of a label_values variable query, not its label", () => {
    expect(variableMetricNames("label_values(tickflow_last_price, symbol)")).toEqual(["tickflow_last_price"]);
    expect(variableMetricNames('label_values(tickflow_equity{service="strategy"}, strategy)')).toEqual([
      "tickflow_equity",
    ]);
    expect(variableMetricNames("label_values(job)")).toEqual([]);
  });

  it("accepts catalog names, histogram series, recording rules and Prometheus's own series, and names the rest", () => {
    expect(
      unknownNames(
        [
          "tickflow_publish_duration_seconds_bucket",
          "tickflow_publish_duration_seconds_count",
          "up",
          "ALERTS",
          "group_topic:tickflow_consumer_lag:sum",
          "tickflow_equity",
        ],
        recorded,
      ),
    ).toEqual([]);
    // _count is a histogram's series only: a counter or gauge has none
    expect(
      unknownNames(
        ["tickflow_fills_total_count", "tickflow_equity_sum", "tickflow_nope", "service:made_up:rate5m"],
        recorded,
      ),
    ).toEqual(["tickflow_fills_total_count", "tickflow_equity_sum", "tickflow_nope", "service:made_up:rate5m"]);
  });
});

describe("every metric name in the monitoring is in the catalog", () => {
  it("in the recording and alerting rules", () => {
    for (const rule of rules)
      expect(unknownNames(metricNames(rule.expr), recorded), rule.record ?? rule.alert).toEqual([]);
  });

  it("in every dashboard panel and variable", () => {
    for (const query of dashboardQueries())
      expect(unknownNames(metricNames(query.expr), recorded), `${query.dashboard} / ${query.panel}`).toEqual([]);
    for (const { file, dashboard } of dashboards) {
      for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
        const query = typeof variable.query === "string" ? variable.query : variable.query!.query;
        expect(unknownNames(variableMetricNames(query), recorded), `${file} $${variable.name}`).toEqual([]);
        expect(variable.definition, `${file} $${variable.name}: Grafana shows the definition`).toBe(query);
      }
    }
  });

  it("and every catalog metric is on a dashboard", () => {
    const used = new Set(dashboardQueries().flatMap((q) => metricNames(q.expr)));
    for (const r of rules.filter((r) => r.record))
      if (used.has(r.record!)) metricNames(r.expr).forEach((n) => used.add(n));
    const shown = (name: string) => used.has(name) || ["bucket", "sum", "count"].some((s) => used.has(`${name}_${s}`));
    expect(Object.keys(CATALOG).filter((name) => !shown(name))).toEqual([]);
  });
});

describe("Grafana provisioning", () => {
  const datasource = (
    parse(readFileSync(resolve(MONITORING, "grafana/provisioning/datasources/prometheus.yml"), "utf8")) as {
      datasources: { uid: string; type: string }[];
    }
  ).datasources[0]!;

  it("provisions the Prometheus data source under the fixed uid every panel and variable uses", () => {
    expect(datasource).toMatchObject({ uid: "tickflow-prometheus", type: "prometheus" });
    for (const { file, dashboard } of dashboards) {
      for (const panel of allPanels(dashboard).filter((p) => p.type !== "row")) {
        expect(panel.datasource, `${file} "${panel.title}"`).toEqual({ type: "prometheus", uid: datasource.uid });
      }
    }
  });

  it("has the three dashboards, each with a unique uid and template variables with sample values", () => {
    expect(dashboards.map((d) => d.dashboard.title).sort()).toEqual([
      "Tickflow: Market Data",
      "Tickflow: Platform Health",
      "Tickflow: Strategies & PnL",
    ]);
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
    const variables = dashboards.flatMap((d) => d.dashboard.templating.list.map((v) => v.name));
    expect(variables.sort()).toEqual(["service", "strategy", "symbol"]);
    for (const name of variables) expect(SAMPLE_VALUES[name], name).toBeDefined();
  });
});
