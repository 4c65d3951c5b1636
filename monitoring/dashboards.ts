/**
 * The Grafana dashboards' PromQL, ready to run outside Grafana: every panel query with its
 * template variables replaced by values that exist while the platform runs, and an evaluator
 * that sends each one to Prometheus's HTTP API. A live test proves with these that every panel
 * parses and shows data.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARDS_DIR = fileURLToPath(new URL("./grafana/dashboards/", import.meta.url));

/**
 * Values that exist when `npm start` runs the defaults: AAPL is in the default universe,
 * sma-crossover is a default strategy, the strategy worker exposes the most series. Grafana's
 * interval variables get a minute: enough 5 s scrapes for rate() and histogram_quantile().
 */
export const SAMPLE_VALUES: Readonly<Record<string, string>> = {
  symbol: "AAPL",
  strategy: "sma-crossover",
  service: "strategy",
  __rate_interval: "1m",
  __interval: "1m",
  __range: "5m",
};

/** The parts of Grafana's dashboard JSON model read here. */
export interface GrafanaTarget {
  refId: string;
  expr?: string;
  legendFormat?: string;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  targets?: GrafanaTarget[];
  /** A row's panels when the row is collapsed. */
  panels?: GrafanaPanel[];
  repeat?: string;
  datasource?: { type: string; uid: string };
}

export interface GrafanaVariable {
  name: string;
  type: string;
  definition?: string;
  query?: string | { query: string };
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

export interface DashboardQuery {
  /** The dashboard's title. */
  dashboard: string;
  /** The panel's title (variables substituted), with the target's refId when the panel has several. */
  panel: string;
  /** PromQL with every variable substituted. */
  expr: string;
}

export interface DashboardEvaluation extends DashboardQuery {
  /** Prometheus parsed and ran the query. */
  ok: boolean;
  /** Series (or one scalar) the query returned; 0 when it failed. */
  series: number;
  /** Prometheus's error (type: message), or why it could not be asked; null when ok. */
  error: string | null;
}

/** Every dashboard JSON file of the folder, by file name. */
export function loadDashboards(dir = DASHBOARDS_DIR): { file: string; dashboard: GrafanaDashboard }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), "utf8")) as GrafanaDashboard }));
}

/** Panels in display order, the panels of collapsed rows included. */
export function allPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

// Grafana's three forms: $name, ${name} or ${name:format}, and the deprecated [[name]].
// A name starts with a letter or "_" so that label_replace's "$1" is left alone.
const VARIABLE = /\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)/g;

/**
 * Replaces Grafana variables with concrete values. A single value per variable: a multi-value
 * variable is used in the dashboards as `=~"$var"`, which one value satisfies. Throws on a
 * variable without a value, naming it.
 */
export function substituteVariables(text: string, values: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const result = text.replace(VARIABLE, (match, braced?: string, bracketed?: string, bare?: string) => {
    const name = (braced ?? bracketed ?? bare)!;
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return match;
    }
    return value;
  });
  if (missing.size > 0) throw new Error(`no value for ${[...missing].map((n) => `$${n}`).join(", ")} in: ${text}`);
  return result;
}

/** Every panel query of every dashboard, variables substituted (defaults: SAMPLE_VALUES). */
export function dashboardQueries(
  values: Readonly<Record<string, string>> = SAMPLE_VALUES,
  dir = DASHBOARDS_DIR,
): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  for (const { file, dashboard } of loadDashboards(dir)) {
    for (const panel of allPanels(dashboard)) {
      const targets = (panel.targets ?? []).filter((t) => t.expr !== undefined && t.expr.trim() !== "");
      for (const target of targets) {
        try {
          const title = substituteVariables(panel.title, values);
          queries.push({
            dashboard: dashboard.title,
            panel: targets.length > 1 ? `${title} [${target.refId}]` : title,
            expr: substituteVariables(target.expr!, values),
          });
        } catch (error) {
          throw new Error(`${file}, panel "${panel.title}" target ${target.refId}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
    }
  }
  return queries;
}

interface PrometheusQueryResponse {
  status: "success" | "error";
  data?: { resultType: "vector" | "matrix" | "scalar" | "string"; result: unknown[] | unknown };
  errorType?: string;
  error?: string;
}

async function instantQuery(
  prometheusUrl: string,
  expr: string,
  timeoutMs: number,
): Promise<{ ok: boolean; series: number; error: string | null }> {
  let response: Response;
  try {
    // POST: long queries stay out of URLs and access logs, as Grafana's httpMethod: POST does
    response = await fetch(new URL("api/v1/query", prometheusUrl.endsWith("/") ? prometheusUrl : `${prometheusUrl}/`), {
      method: "POST",
      body: new URLSearchParams({ query: expr }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    // fetch says only "fetch failed": the reason is in its cause (an AggregateError for a name with IPv4 and IPv6 addresses)
    const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const reason = cause?.code ?? cause?.errors?.find((e) => e.code)?.code ?? cause?.message;
    return {
      ok: false,
      series: 0,
      error: `could not ask ${prometheusUrl}: ${(error as Error).message}${reason ? ` (${reason})` : ""}`,
    };
  }
  const text = await response.text();
  let body: PrometheusQueryResponse;
  try {
    body = JSON.parse(text) as PrometheusQueryResponse;
  } catch {
    return {
      ok: false,
      series: 0,
      error: `HTTP ${response.status} from ${prometheusUrl}, not Prometheus JSON: ${text.slice(0, 200)}`,
    };
  }
  if (body.status !== "success" || !body.data)
    return {
      ok: false,
      series: 0,
      error: `${body.errorType ?? `HTTP ${response.status}`}: ${body.error ?? text.slice(0, 200)}`,
    };
  const { resultType, result } = body.data;
  return {
    ok: true,
    series: resultType === "vector" || resultType === "matrix" ? (result as unknown[]).length : 1,
    error: null,
  };
}

/**
 * Runs every dashboard query as an instant query against Prometheus (`/api/v1/query`, one at a
 * time so a small Prometheus is not flooded) and reports per query whether it ran and how
 * many series it returned. Failures are reported, never thrown.
 */
export async function evaluateDashboards(
  prometheusUrl: string,
  options: { values?: Readonly<Record<string, string>>; timeoutMs?: number; dir?: string } = {},
): Promise<DashboardEvaluation[]> {
  const results: DashboardEvaluation[] = [];
  for (const query of dashboardQueries(options.values ?? SAMPLE_VALUES, options.dir)) {
    results.push({ ...query, ...(await instantQuery(prometheusUrl, query.expr, options.timeoutMs ?? 10_000)) });
  }
  return results;
}
