import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CATALOG, PrometheusMetrics } from "@tickflow/metrics";
import { startServiceHttp } from "@tickflow/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort, startPrometheus, waitForScrapes, type RunningPrometheus } from "@tickflow/test-support";
import { DEFAULT_PROMETHEUS_CONFIG } from "../src/commands/doctor";
import {
  collectPrometheus,
  evaluatePrometheus,
  readScrapeConfig,
  type PrometheusFacts,
} from "../src/doctor/prometheus";
import { root, tickflow } from "./run-tickflow";

const RULES = ["recording.yml", "alerts.yml"].map((f) => join(root, "monitoring/prometheus/rules", f));

/** What a healthy Prometheus scraping the three services answers, to be spoiled case by case. */
function healthy(): PrometheusFacts {
  const names = Object.entries(CATALOG).map(([name, spec]) => (spec.type === "histogram" ? `${name}_bucket` : name));
  return {
    url: "http://127.0.0.1:9091",
    error: null,
    version: "2.42.0",
    targets: ["market-data", "strategy", "gateway"].map((job, i) => ({
      scrapePool: job,
      instance: `127.0.0.1:700${i + 1}`,
      health: "up" as const,
      lastError: "",
    })),
    metricNames: [...names, "up", "scrape_duration_seconds"],
    rules: [
      {
        group: "tickflow-http",
        name: "service:tickflow_http_requests:rate5m",
        type: "recording",
        health: "ok",
        lastError: "",
      },
      { group: "tickflow-availability", name: "TickflowServiceDown", type: "alerting", health: "ok", lastError: "" },
    ],
    firing: [],
  };
}
const CONFIG = { jobs: ["market-data", "strategy", "gateway"], ruleFiles: ["rules/recording.yml", "rules/alerts.yml"] };
const statusOf = (facts: PrometheusFacts, name: string, config = CONFIG) =>
  evaluatePrometheus(facts, config).find((c) => c.name === name);

describe("doctor prometheus grading", () => {
  it("is all OK for a Prometheus that scrapes every job, evaluates its rules and has every catalog metric", () => {
    const checks = evaluatePrometheus(healthy(), CONFIG);
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ["reachable", "OK"],
      ["version", "OK"],
      ["job market-data", "OK"],
      ["job strategy", "OK"],
      ["job gateway", "OK"],
      ["rules", "OK"],
      ["alerts", "OK"],
      ["catalog metrics", "OK"],
    ]);
    expect(checks.find((c) => c.name === "version")!.summary).toBe("Prometheus 2.42.0");
    expect(checks.find((c) => c.name === "rules")!.summary).toBe("1 alerting and 1 recording rules");
  });

  it("is CRIT, alone, when Prometheus does not answer", () => {
    expect(
      evaluatePrometheus(
        { ...healthy(), error: "http://127.0.0.1:9091 does not answer: fetch failed (ECONNREFUSED)" },
        CONFIG,
      ),
    ).toEqual([
      expect.objectContaining({
        name: "reachable",
        status: "CRIT",
        summary: expect.stringContaining("(ECONNREFUSED); start Prometheus"),
      }),
    ]);
  });

  it("is CRIT for a job without targets or with a target down, WARN for one not scraped yet", () => {
    const facts = healthy();
    facts.targets = facts.targets.filter((t) => t.scrapePool !== "gateway");
    facts.targets[0] = {
      ...facts.targets[0]!,
      health: "down",
      lastError: 'Get "http://127.0.0.1:7001/metrics": connection refused',
    };
    facts.targets[1] = { ...facts.targets[1]!, health: "unknown" };
    expect(statusOf(facts, "job gateway")).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("no target for this job"),
    });
    expect(statusOf(facts, "job market-data")).toMatchObject({
      status: "CRIT",
      summary: '0/1 targets up; 127.0.0.1:7001 down: Get "http://127.0.0.1:7001/metrics": connection refused',
    });
    expect(statusOf(facts, "job strategy")).toMatchObject({
      status: "WARN",
      summary: "0/1 targets up; 127.0.0.1:7002 not scraped yet",
    });
  });

  it("is WARN when no rules are loaded though the config lists rule files, or a rule fails, and says nothing of rules without rule files", () => {
    expect(statusOf({ ...healthy(), rules: [] }, "rules")).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("no rules loaded although the config lists rules/recording.yml"),
    });
    const failing = healthy();
    failing.rules[0] = { ...failing.rules[0]!, health: "err", lastError: "many-to-many matching not allowed" };
    expect(statusOf(failing, "rules")).toMatchObject({
      status: "WARN",
      summary: expect.stringContaining("service:tickflow_http_requests:rate5m fails: many-to-many"),
    });
    expect(evaluatePrometheus(healthy(), { ...CONFIG, ruleFiles: [] }).map((c) => c.name)).not.toContain("rules");
  });

  it("is WARN while alerts fire", () => {
    expect(
      statusOf({ ...healthy(), firing: [{ alertname: "TickflowStrategyHalted", severity: "critical" }] }, "alerts"),
    ).toMatchObject({
      status: "WARN",
      summary: "firing: TickflowStrategyHalted (critical); see monitoring/README.md for what to do",
    });
  });

  it("is WARN when a metric every service exposes from start is absent, and only lists labelled ones not used yet", () => {
    const facts = healthy();
    facts.metricNames = facts.metricNames.filter(
      (n) =>
        ![
          "tickflow_up",
          "process_cpu_seconds_total",
          "tickflow_dlq_messages_total",
          "tickflow_tick_to_signal_seconds_bucket",
        ].includes(n),
    );
    const check = statusOf(facts, "catalog metrics")!;
    expect(check.status).toBe("WARN");
    expect(check.data).toMatchObject({
      missing: ["tickflow_up", "process_cpu_seconds_total"],
      notYet: ["tickflow_tick_to_signal_seconds", "tickflow_dlq_messages_total"],
    });
    facts.metricNames.push("tickflow_up", "process_cpu_seconds_total");
    expect(statusOf(facts, "catalog metrics")).toMatchObject({
      status: "OK",
      summary: expect.stringContaining(
        "not used yet (created on first use): tickflow_tick_to_signal_seconds, tickflow_dlq_messages_total",
      ),
    });
  });

  it("reads the jobs and rule files of the local runner's config, its default", () => {
    expect(readScrapeConfig(readFileSync(DEFAULT_PROMETHEUS_CONFIG, "utf8"))).toEqual({
      jobs: ["market-data", "strategy", "projector", "gateway"],
      ruleFiles: ["rules/recording.yml", "rules/alerts.yml"],
    });
    expect(() => readScrapeConfig("global: {}\n")).toThrow("no scrape_configs with a job_name");
  });
});

describe("doctor prometheus against a real Prometheus", () => {
  let prometheus: RunningPrometheus;
  let service: { port: number; close(): Promise<void> };
  let dir: string;
  /** Config files the doctor reads: only the live job, both jobs, and a job this Prometheus lacks. */
  const configs: Record<"live" | "both" | "foreign", string> = { live: "", both: "", foreign: "" };

  beforeAll(async () => {
    service = await startServiceHttp({
      port: 0,
      routes: [],
      metrics: new PrometheusMetrics({ service: "strategy" }),
      health: async () => ({ ok: true }),
    });
    const deadPort = await freePort();
    const scrape = (job: string, port: number) => ({
      job_name: job,
      static_configs: [{ targets: [`127.0.0.1:${port}`] }],
    });
    prometheus = await startPrometheus({
      global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
      rule_files: RULES,
      scrape_configs: [scrape("strategy", service.port), scrape("gateway", deadPort)],
    });
    dir = await mkdtemp(join(tmpdir(), "tickflow-doctor-prometheus-"));
    const write = async (name: keyof typeof configs, jobs: string[]) => {
      configs[name] = join(dir, `${name}.yml`);
      await writeFile(
        configs[name],
        stringify({ rule_files: RULES, scrape_configs: jobs.map((job) => ({ job_name: job })) }),
      );
    };
    await write("live", ["strategy"]);
    await write("both", ["strategy", "gateway"]);
    await write("foreign", ["strategy", "market-data"]);
    await waitForScrapes(prometheus, ["strategy", "gateway"], 1);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await service?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const diagnose = async (config: string) =>
    evaluatePrometheus(await collectPrometheus(prometheus.url, 5_000), readScrapeConfig(readFileSync(config, "utf8")));

  it("is OK for a job whose target serves a Tickflow exposition, with the real rules loaded", async () => {
    const checks = await diagnose(configs.live);
    expect(checks.filter((c) => c.status !== "OK")).toEqual([]);
    expect(checks.find((c) => c.name === "version")!.summary).toMatch(/^Prometheus 2\.\d+/);
    // every rule of the files, counted from the files themselves
    const count = (file: string, kind: "alert" | "record") =>
      (parse(readFileSync(file, "utf8")) as { groups: { rules: Record<string, unknown>[] }[] }).groups
        .flatMap((g) => g.rules)
        .filter((r) => kind in r).length;
    const [recording, alerts] = RULES as [string, string];
    expect(count(alerts, "alert")).toBeGreaterThan(9);
    expect(checks.find((c) => c.name === "rules")!.summary).toBe(
      `${count(alerts, "alert")} alerting and ${count(recording, "record")} recording rules`,
    );
    // a bare exposition has its label-less metrics (tickflow_up, prom-client's) and nothing used yet
    expect(checks.find((c) => c.name === "catalog metrics")!.summary).toMatch(
      /not used yet \(created on first use\): tickflow_ticks_published_total, /,
    );
  });

  it("is CRIT for a down target, naming the scrape error", async () => {
    const gateway = (await diagnose(configs.both)).find((c) => c.name === "job gateway")!;
    expect(gateway).toMatchObject({
      status: "CRIT",
      summary: expect.stringMatching(/^0\/1 targets up; 127\.0\.0\.1:\d+ down: .*connection refused/),
    });
  });

  it("is CRIT for a job of the config that Prometheus does not scrape", async () => {
    expect((await diagnose(configs.foreign)).find((c) => c.name === "job market-data")).toMatchObject({
      status: "CRIT",
      summary: expect.stringContaining("no target for this job"),
    });
  });

  it("exits 0 and 2 from the command line, with a JSON report", async () => {
    const [ok, crit] = await Promise.all([
      tickflow(["doctor", "prometheus", "--url", prometheus.url, "--config", configs.live, "--json"]),
      tickflow(["doctor", "prometheus", "--url", prometheus.url, "--config", configs.both]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ doctor: "prometheus", status: "OK" });
    expect(crit.code, crit.stderr).toBe(2);
    expect(crit.stdout).toMatch(/^tickflow doctor prometheus: CRIT\n[\s\S]*CRIT {2}job gateway/);
  });
});
