import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { requireTool } from "@tickflow/test-support";

const PROMETHEUS_DIR = resolve(import.meta.dirname, "../prometheus");
const TESTS_DIR = join(PROMETHEUS_DIR, "tests");

/** Runs promtool in monitoring/prometheus; a failure shows promtool's own report. */
async function promtool(...args: string[]): Promise<string> {
  const binary = requireTool("promtool");
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, args, { cwd: PROMETHEUS_DIR });
    return stdout + stderr;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTestFile {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const alertRules = (
  parse(readFileSync(join(PROMETHEUS_DIR, "rules/alerts.yml"), "utf8")) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((g) => g.rules);
const ruleTests = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith(".test.yml"))
  .flatMap((f) => (parse(readFileSync(join(TESTS_DIR, f), "utf8")) as RuleTestFile).tests);

describe("promtool", () => {
  it("accepts the local runner's config and the rule files it loads", async () => {
    expect(await promtool("check", "config", "prometheus.local.yml")).toMatch(
      /SUCCESS: prometheus\.local\.yml is valid/,
    );
  });

  it("accepts the Compose config and the rule files it loads", async () => {
    expect(await promtool("check", "config", "prometheus.compose.yml")).toMatch(
      /SUCCESS: prometheus\.compose\.yml is valid/,
    );
  });

  it("accepts the recording and alerting rules", async () => {
    const output = await promtool("check", "rules", "rules/recording.yml", "rules/alerts.yml");
    expect(output).toContain(`SUCCESS: ${alertRules.length} rules found`);
  });

  it("passes the rule unit tests", async () => {
    const files = readdirSync(TESTS_DIR)
      .filter((f) => f.endsWith(".test.yml"))
      .map((f) => `tests/${f}`);
    expect(files.length).toBeGreaterThan(0);
    const output = await promtool("test", "rules", ...files);
    expect(output.match(/SUCCESS/g)).toHaveLength(files.length);
  });
});

describe("alert rules", () => {
  it("cover what the platform must be alerted about", () => {
    expect(alertRules.map((r) => r.alert).sort()).toEqual(
      [
        "TickflowApiErrorRateHigh",
        "TickflowApiLatencyHigh",
        "TickflowConsumerLagHigh",
        "TickflowDlqGrowing",
        "TickflowDrawdownHigh",
        "TickflowMarketDataStale",
        "TickflowServiceDown",
        "TickflowServiceUnhealthy",
        "TickflowStrategyHalted",
        "TickflowTicksDropped",
      ].sort(),
    );
  });

  it("each have a severity, a for duration, a summary and a description", () => {
    for (const rule of alertRules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description?.length ?? 0, `${rule.alert} description`).toBeGreaterThan(80);
    }
  });

  // promtool passes a test that expects no alert from a misspelled alert name, so the names
  // and the both-ways coverage are checked here.
  it("are each shown firing and not firing by a promtool test, which names only existing alerts", () => {
    const cases = ruleTests.flatMap((t) => t.alert_rule_test ?? []);
    const known = new Set(alertRules.map((r) => r.alert));
    expect(cases.map((c) => c.alertname).filter((name) => !known.has(name))).toEqual([]);
    for (const { alert } of alertRules) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} is never shown firing`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} is never shown not firing`,
      ).toBe(true);
    }
  });
});

describe("scrape configs", () => {
  const jobs = (file: string) =>
    (
      parse(readFileSync(join(PROMETHEUS_DIR, file), "utf8")) as {
        scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      }
    ).scrape_configs.map((c) => ({
      job: c.job_name,
      targets: c.static_configs.flatMap((s) => s.targets),
    }));

  it("scrape the four services on their DESIGN.md ports: loopback locally, service names in Compose", () => {
    expect(jobs("prometheus.local.yml")).toEqual([
      { job: "market-data", targets: ["127.0.0.1:7001"] },
      { job: "strategy", targets: ["127.0.0.1:7002"] },
      { job: "projector", targets: ["127.0.0.1:7003"] },
      { job: "gateway", targets: ["127.0.0.1:8000"] },
    ]);
    expect(jobs("prometheus.compose.yml")).toEqual([
      { job: "market-data", targets: ["market-data:7001"] },
      { job: "strategy", targets: ["strategy:7002"] },
      { job: "projector", targets: ["projector:7003"] },
      { job: "gateway", targets: ["gateway:8000"] },
    ]);
  });
});
