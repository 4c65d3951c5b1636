/**
 * `tickflow doctor prometheus`: does Prometheus see the platform? collectPrometheus asks its
 * HTTP API; evaluatePrometheus grades the answers against the scrape config and the catalog.
 *
 * The rule for catalog metrics: a metric without labels (tickflow_up and prom-client's
 * process_*, nodejs_*) is exposed from the moment a service starts, so its absence is a WARN
 * (a target is not a Tickflow service, or runs an old build). A labelled metric has no series
 * until its first use (a DLQ counter until the first dead letter, a histogram until its first
 * observation), so its absence is listed but not graded. Down targets are CRIT.
 */
import { CATALOG, type MetricSpec } from "@tickflow/metrics";
import { parse } from "yaml";
import { worst, type Check, type Status } from "./report";

export interface ScrapeConfigSummary {
  jobs: string[];
  ruleFiles: string[];
}

/** The job names and rule files of a Prometheus config file's text. */
export function readScrapeConfig(text: string): ScrapeConfigSummary {
  const config = (parse(text) ?? {}) as { scrape_configs?: { job_name?: string }[]; rule_files?: string[] };
  const jobs = (config.scrape_configs ?? []).map((c) => c.job_name).filter((j): j is string => typeof j === "string");
  if (jobs.length === 0) throw new Error("no scrape_configs with a job_name");
  return { jobs, ruleFiles: config.rule_files ?? [] };
}

export interface PrometheusTarget {
  /** The scrape config's job_name. */
  scrapePool: string;
  instance: string;
  health: "up" | "down" | "unknown";
  lastError: string;
}

export interface PrometheusRule {
  group: string;
  name: string;
  type: "alerting" | "recording";
  health: "ok" | "err" | "unknown";
  lastError: string;
}

export interface PrometheusFacts {
  url: string;
  /** Why Prometheus could not be asked; null when it answered. */
  error: string | null;
  version: string | null;
  targets: PrometheusTarget[];
  /** Metric names with samples in the last 15 minutes. */
  metricNames: string[];
  rules: PrometheusRule[];
  firing: { alertname: string; severity: string }[];
}

/** fetch says only "fetch failed"; the reason is in its cause (an AggregateError when a name resolves to IPv4 and IPv6). */
function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  const reason = cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message;
  return reason ? `${(error as Error).message} (${reason})` : (error as Error).message;
}

async function api<T>(base: string, path: string, timeoutMs: number): Promise<T> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`${url.origin} does not answer: ${fetchFailure(error)}`, { cause: error });
  }
  const text = await response.text();
  let body: { status?: string; data?: T; error?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(
      `${url.href} answered HTTP ${response.status} without Prometheus JSON: is it Prometheus? (${text.slice(0, 120).trim()})`,
    );
  }
  if (body.status !== "success" || body.data === undefined)
    throw new Error(`${url.href}: ${body.error ?? `HTTP ${response.status}`}`);
  return body.data;
}

/** Asks Prometheus for its version, targets, recent metric names, rules and firing alerts. */
export async function collectPrometheus(url: string, timeoutMs: number, now = Date.now()): Promise<PrometheusFacts> {
  const facts: PrometheusFacts = {
    url,
    error: null,
    version: null,
    targets: [],
    metricNames: [],
    rules: [],
    firing: [],
  };
  try {
    facts.version = (await api<{ version: string }>(url, "api/v1/status/buildinfo", timeoutMs)).version;
    const [targets, names, rules, alerts] = await Promise.all([
      api<{
        activeTargets: {
          scrapePool: string;
          labels: { instance?: string };
          health: PrometheusTarget["health"];
          lastError: string;
        }[];
      }>(url, "api/v1/targets?state=active", timeoutMs),
      // only recent names: the TSDB keeps every name of its retention period
      api<string[]>(url, `api/v1/label/__name__/values?start=${(now - 15 * 60_000) / 1000}`, timeoutMs),
      api<{
        groups: {
          name: string;
          rules: { name: string; type: PrometheusRule["type"]; health: PrometheusRule["health"]; lastError?: string }[];
        }[];
      }>(url, "api/v1/rules", timeoutMs),
      api<{ alerts: { state: string; labels: Record<string, string> }[] }>(url, "api/v1/alerts", timeoutMs),
    ]);
    facts.targets = targets.activeTargets.map((t) => ({
      scrapePool: t.scrapePool,
      instance: t.labels.instance ?? "",
      health: t.health,
      lastError: t.lastError,
    }));
    facts.metricNames = names;
    facts.rules = rules.groups.flatMap((g) =>
      g.rules.map((r) => ({
        group: g.name,
        name: r.name,
        type: r.type,
        health: r.health,
        lastError: r.lastError ?? "",
      })),
    );
    facts.firing = alerts.alerts
      .filter((a) => a.state === "firing")
      .map((a) => ({ alertname: a.labels.alertname ?? "", severity: a.labels.severity ?? "" }));
  } catch (error) {
    facts.error = (error as Error).message;
  }
  return facts;
}

function catalogCheck(names: ReadonlySet<string>): Check {
  const catalog = Object.entries(CATALOG as Record<string, MetricSpec>);
  const present = (name: string, spec: MetricSpec) => names.has(spec.type === "histogram" ? `${name}_bucket` : name);
  const absent = catalog.filter(([name, spec]) => !present(name, spec));
  const missing = absent.filter(([, spec]) => spec.labels.length === 0).map(([name]) => name);
  const notYet = absent.filter(([, spec]) => spec.labels.length > 0).map(([name]) => name);
  const seen = catalog.length - absent.length;
  const status: Status = missing.length > 0 ? "WARN" : "OK";
  const parts = [`${seen} of ${catalog.length} catalog metrics present`];
  if (missing.length > 0)
    parts.push(
      `absent although every service exposes them from start: ${missing.join(", ")} (is each target a current Tickflow service?)`,
    );
  if (notYet.length > 0) parts.push(`not used yet (created on first use): ${notYet.join(", ")}`);
  return {
    name: "catalog metrics",
    status,
    summary: parts.join("; "),
    data: { present: seen, total: catalog.length, missing, notYet },
  };
}

/** Grades what Prometheus said against the config's jobs and rule files and the catalog. */
export function evaluatePrometheus(facts: PrometheusFacts, config: ScrapeConfigSummary): Check[] {
  if (facts.error !== null) {
    return [
      {
        name: "reachable",
        status: "CRIT",
        summary: `${facts.error}; start Prometheus (npm start runs it when the binary is on PATH) or pass --url`,
        data: { url: facts.url },
      },
    ];
  }
  const checks: Check[] = [
    { name: "reachable", status: "OK", summary: facts.url },
    { name: "version", status: "OK", summary: `Prometheus ${facts.version}`, data: { version: facts.version } },
  ];
  for (const job of config.jobs) {
    const targets = facts.targets.filter((t) => t.scrapePool === job);
    const data = { targets };
    if (targets.length === 0) {
      checks.push({
        name: `job ${job}`,
        status: "CRIT",
        summary: "Prometheus has no target for this job: it runs another config than --config",
        data,
      });
      continue;
    }
    const down = targets.filter((t) => t.health === "down");
    const unknown = targets.filter((t) => t.health === "unknown");
    const up = targets.length - down.length - unknown.length;
    const status = worst([down.length > 0 ? "CRIT" : "OK", unknown.length > 0 ? "WARN" : "OK"]);
    const details = [
      ...down.map((t) => `${t.instance} down: ${t.lastError || "no error given"}`),
      ...unknown.map((t) => `${t.instance} not scraped yet`),
    ];
    checks.push({
      name: `job ${job}`,
      status,
      summary: [`${up}/${targets.length} targets up`, ...details].join("; "),
      data,
    });
  }
  if (config.ruleFiles.length > 0) {
    const failing = facts.rules.filter((r) => r.health === "err");
    const alerting = facts.rules.filter((r) => r.type === "alerting").length;
    const recording = facts.rules.length - alerting;
    if (facts.rules.length === 0) {
      checks.push({
        name: "rules",
        status: "WARN",
        summary: `no rules loaded although the config lists ${config.ruleFiles.join(", ")}: check the paths (relative to the config file)`,
      });
    } else {
      checks.push({
        name: "rules",
        status: failing.length > 0 ? "WARN" : "OK",
        summary: [
          `${alerting} alerting and ${recording} recording rules`,
          ...failing.map((r) => `${r.name} fails: ${r.lastError}`),
        ].join("; "),
        data: { alerting, recording, failing },
      });
    }
    checks.push({
      name: "alerts",
      status: facts.firing.length > 0 ? "WARN" : "OK",
      summary:
        facts.firing.length === 0
          ? "none firing"
          : `firing: ${facts.firing.map((a) => `${a.alertname} (${a.severity})`).join(", ")}; see monitoring/README.md for what to do`,
      data: { firing: facts.firing },
    });
  }
  checks.push(catalogCheck(new Set(facts.metricNames)));
  return checks;
}
