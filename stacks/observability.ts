import { CATALOG, METRICS_NAMESPACE, type MetricName } from "@tickflow/metrics";
import { Duration, type Stack } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import { use, type StackContext } from "sst/constructs";
import { Api } from "./api";
import { stageSettings } from "./settings";

type Aggregate = "SUM" | "MAX" | "MIN" | "AVG";
/** A metric's EMF dimensions: `service` plus its catalog labels (packages/metrics/src/emf-sink.ts). */
type DimensionOf<N extends MetricName> = "service" | (typeof CATALOG)[N]["labels"][number];

/**
 * A CloudWatch Metrics Insights query over one catalog metric, aggregated across every value of
 * its labels (every symbol, strategy or partition, including ones added later) into one series.
 * The name is a `MetricName`, so a metric that is not in the catalog does not compile.
 */
export function catalogQuery<N extends MetricName>(
  aggregate: Aggregate,
  name: N,
  where: Partial<Record<DimensionOf<N>, string>> = {},
  groupBy?: DimensionOf<N>,
): string {
  const dimensions = ["service", ...CATALOG[name].labels].join(", ");
  const filters = Object.entries(where).map(([key, value]) => `${key} = '${String(value)}'`);
  return [
    `SELECT ${aggregate}(${name}) FROM SCHEMA("${METRICS_NAMESPACE}", ${dimensions})`,
    filters.length > 0 ? `WHERE ${filters.join(" AND ")}` : "",
    groupBy ? `GROUP BY ${groupBy}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

const insights = (label: string, expression: string, period = Duration.minutes(1)) =>
  new cw.MathExpression({ label, expression, usingMetrics: {}, period });

interface CatalogAlarm<N extends MetricName = MetricName> {
  id: string;
  metric: N;
  aggregate: Aggregate;
  where?: Partial<Record<DimensionOf<N>, string>>;
  description: string;
  threshold: number;
  comparison: cw.ComparisonOperator;
  evaluationPeriods: number;
  period?: Duration;
  /** Missing data is an outage for liveness metrics (no EMF lines = no process). */
  missing?: cw.TreatMissingData;
}

const alarm = <N extends MetricName>(a: CatalogAlarm<N>): CatalogAlarm => a as unknown as CatalogAlarm;
const GT = cw.ComparisonOperator.GREATER_THAN_THRESHOLD;
const GTE = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const LT = cw.ComparisonOperator.LESS_THAN_THRESHOLD;

/** The alarms, on catalog metrics only (the same concerns as the Prometheus alert rules). */
export const CATALOG_ALARMS: readonly CatalogAlarm[] = [
  alarm({
    id: "MarketDataDown",
    metric: "tickflow_up",
    aggregate: "MIN",
    where: { service: "market-data" },
    description: "market-data is down or not reporting",
    threshold: 1,
    comparison: LT,
    evaluationPeriods: 3,
    missing: cw.TreatMissingData.BREACHING,
  }),
  alarm({
    id: "StrategyDown",
    metric: "tickflow_up",
    aggregate: "MIN",
    where: { service: "strategy" },
    description: "the strategy worker is down or not reporting",
    threshold: 1,
    comparison: LT,
    evaluationPeriods: 3,
    missing: cw.TreatMissingData.BREACHING,
  }),
  alarm({
    id: "MarketDataStale",
    metric: "tickflow_last_tick_age_seconds",
    aggregate: "MAX",
    where: { service: "market-data" },
    description: "a symbol has had no tick for 30 s",
    threshold: 30,
    comparison: GT,
    evaluationPeriods: 3,
    missing: cw.TreatMissingData.BREACHING,
  }),
  // freshness as the engine sees it: ticks that arrive but are all refused or dropped leave it stale too
  alarm({
    id: "StrategyStale",
    metric: "tickflow_last_tick_age_seconds",
    aggregate: "MAX",
    where: { service: "strategy" },
    description: "the strategy worker has applied no tick of a symbol for 30 s",
    threshold: 30,
    comparison: GT,
    evaluationPeriods: 3,
    missing: cw.TreatMissingData.BREACHING,
  }),
  // the Prometheus rule's rate, 0.1 ticks/s sustained, as a 5-minute sum
  alarm({
    id: "TicksDropped",
    metric: "tickflow_ticks_dropped_total",
    aggregate: "SUM",
    description: "the strategy worker is dropping ticks (duplicates, seq gaps or quotes the guard refuses)",
    threshold: 30,
    comparison: GT,
    evaluationPeriods: 1,
    period: Duration.minutes(5),
  }),
  alarm({
    id: "ConsumerLagHigh",
    metric: "tickflow_consumer_lag",
    aggregate: "MAX",
    where: { service: "strategy" },
    description: "the strategy worker is more than 10,000 ticks behind on a partition",
    threshold: 10_000,
    comparison: GT,
    evaluationPeriods: 5,
  }),
  alarm({
    id: "StrategyHalted",
    metric: "tickflow_strategy_halted",
    aggregate: "MAX",
    description: "a strategy was halted by its drawdown limit",
    threshold: 1,
    comparison: GTE,
    evaluationPeriods: 1,
  }),
  // a warning before the halt: half the default drawdown limit (ST_MAX_DRAWDOWN 0.1), as the Prometheus rule warns
  alarm({
    id: "DrawdownHigh",
    metric: "tickflow_drawdown_ratio",
    aggregate: "MAX",
    description: "a strategy is more than 5% below its equity peak",
    threshold: 0.05,
    comparison: GT,
    evaluationPeriods: 3,
  }),
  alarm({
    id: "DlqGrowing",
    metric: "tickflow_dlq_messages_total",
    aggregate: "SUM",
    description: "records are being dead-lettered to dlq.v1",
    threshold: 0,
    comparison: GT,
    evaluationPeriods: 1,
    period: Duration.minutes(5),
  }),
  alarm({
    id: "UpstreamErrors",
    metric: "tickflow_upstream_errors_total",
    aggregate: "SUM",
    description: "the API is failing to reach a worker",
    threshold: 10,
    comparison: GT,
    evaluationPeriods: 1,
    period: Duration.minutes(5),
  }),
];

/** Every catalog metric this stack reads, for the catalog test (monitoring) and the stack test. */
export const CLOUDWATCH_METRICS: readonly MetricName[] = [
  ...new Set<MetricName>([
    ...CATALOG_ALARMS.map((a) => a.metric),
    "tickflow_ticks_published_total",
    "tickflow_last_price",
    "tickflow_ticks_processed_total",
    "tickflow_tick_to_signal_seconds",
    "tickflow_orders_total",
    "tickflow_fills_total",
    "tickflow_equity",
    "tickflow_realized_pnl",
    "tickflow_unrealized_pnl",
    "tickflow_http_requests_total",
    "tickflow_http_request_duration_seconds",
    "tickflow_alerts_sent_total",
  ]),
];

/**
 * A CloudWatch dashboard and alarms on the catalog's EMF metrics (namespace Tickflow), plus the
 * AWS-side alarms the catalog cannot express: API Gateway 5xx rate and p99 latency, and the
 * risk/alerts consumer's invocation errors. Alarms notify the alerts topic, on entering ALARM and
 * on returning to OK.
 */
export function Observability({ stack, app }: StackContext) {
  const settings = stageSettings(app);
  const { api, alerts, riskConsumer } = use(Api);
  const notify = new actions.SnsAction(alerts);

  const alarms = CATALOG_ALARMS.map((a) => {
    const metric = insights(
      a.description,
      catalogQuery(a.aggregate, a.metric, a.where as Record<string, string>),
      a.period,
    );
    const created = metric.createAlarm(stack, a.id, {
      alarmName: `${settings.prefix}-${a.id}`,
      alarmDescription: `${a.description} (${a.metric})`,
      threshold: a.threshold,
      comparisonOperator: a.comparison,
      evaluationPeriods: a.evaluationPeriods,
      datapointsToAlarm: a.evaluationPeriods,
      treatMissingData: a.missing ?? cw.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(notify);
    created.addOkAction(notify);
    return created;
  });

  const apiId = api.cdk.httpApi.apiId;
  const apiMetric = (metricName: string, statistic: string) =>
    new cw.Metric({
      namespace: "AWS/ApiGateway",
      metricName,
      dimensionsMap: { ApiId: apiId },
      statistic,
      period: Duration.minutes(5),
    });
  const api5xx = apiMetric("5xx", "Sum").createAlarm(stack, "Api5xx", {
    alarmName: `${settings.prefix}-Api5xx`,
    alarmDescription: "the API answered 5xx more than 10 times in 5 minutes",
    threshold: 10,
    comparisonOperator: GT,
    evaluationPeriods: 1,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  const apiLatency = apiMetric("Latency", "p99").createAlarm(stack, "ApiLatencyP99", {
    alarmName: `${settings.prefix}-ApiLatencyP99`,
    alarmDescription: "the API's p99 latency is above 1 s",
    threshold: 1_000,
    comparisonOperator: GT,
    evaluationPeriods: 3,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
  // A consumer invocation that fails is retried, and after the retries its batch goes to the
  // failed-batches bucket, unseen: any error is worth a look. (Where the mappings read partial
  // batch responses, production, a failed record is reported rather than thrown, so only
  // invocations that fail as a whole count here.)
  const consumerErrors = riskConsumer
    .metricErrors({ period: Duration.minutes(5), statistic: "Sum" })
    .createAlarm(stack, "RiskConsumerErrors", {
      alarmName: `${settings.prefix}-RiskConsumerErrors`,
      alarmDescription:
        "the risk/alerts consumer failed an invocation in the last 5 minutes: its batch is retried, then kept in the failed-batches bucket",
      threshold: 0,
      comparisonOperator: GT,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
  const awsAlarms = [api5xx, apiLatency, consumerErrors];
  for (const a of awsAlarms) {
    a.addAlarmAction(notify);
    a.addOkAction(notify);
  }

  dashboard(stack, settings.prefix, [...alarms, ...awsAlarms]);
  return { alarms: [...alarms, ...awsAlarms] };
}

function dashboard(stack: Stack, prefix: string, alarms: cw.IAlarm[]): cw.Dashboard {
  const graph = (title: string, ...queries: [label: string, expression: string][]) =>
    new cw.GraphWidget({
      title,
      width: 12,
      height: 6,
      left: queries.map(([label, expression]) => insights(label, expression)),
    });
  const board = new cw.Dashboard(stack, "Dashboard", {
    dashboardName: `${prefix}-tickflow`,
    defaultInterval: Duration.hours(3),
  });
  board.addWidgets(new cw.AlarmStatusWidget({ title: "Alarms", alarms, width: 24, height: 4 }));
  board.addWidgets(
    graph("Ticks published per symbol", ["", catalogQuery("SUM", "tickflow_ticks_published_total", {}, "symbol")]),
    graph("Last price per symbol", ["", catalogQuery("MAX", "tickflow_last_price", {}, "symbol")]),
  );
  board.addWidgets(
    graph("Last tick age (s)", ["", catalogQuery("MAX", "tickflow_last_tick_age_seconds", {}, "service")]),
    graph(
      "Tick to signal (s)",
      ["avg", catalogQuery("AVG", "tickflow_tick_to_signal_seconds")],
      ["max", catalogQuery("MAX", "tickflow_tick_to_signal_seconds")],
    ),
  );
  board.addWidgets(
    graph("Ticks processed", ["", catalogQuery("SUM", "tickflow_ticks_processed_total")]),
    graph(
      "Orders and fills per strategy",
      ["orders", catalogQuery("SUM", "tickflow_orders_total", {}, "strategy")],
      ["fills", catalogQuery("SUM", "tickflow_fills_total", {}, "strategy")],
    ),
  );
  board.addWidgets(
    graph("Equity per strategy", ["", catalogQuery("MAX", "tickflow_equity", {}, "strategy")]),
    graph(
      "PnL per strategy",
      ["realized", catalogQuery("MAX", "tickflow_realized_pnl", {}, "strategy")],
      ["unrealized", catalogQuery("MAX", "tickflow_unrealized_pnl", {}, "strategy")],
    ),
  );
  board.addWidgets(
    graph(
      "Drawdown and halts",
      ["drawdown", catalogQuery("MAX", "tickflow_drawdown_ratio", {}, "strategy")],
      ["halted", catalogQuery("MAX", "tickflow_strategy_halted", {}, "strategy")],
    ),
    graph("Consumer lag per partition", ["", catalogQuery("MAX", "tickflow_consumer_lag", {}, "partition")]),
  );
  board.addWidgets(
    graph("HTTP requests per route", ["", catalogQuery("SUM", "tickflow_http_requests_total", {}, "route")]),
    graph("HTTP duration (s)", ["avg", catalogQuery("AVG", "tickflow_http_request_duration_seconds", {}, "service")]),
  );
  board.addWidgets(
    graph(
      "Dead letters and alerts",
      ["dlq", catalogQuery("SUM", "tickflow_dlq_messages_total")],
      ["alerts", catalogQuery("SUM", "tickflow_alerts_sent_total")],
    ),
    graph("Upstream errors", ["", catalogQuery("SUM", "tickflow_upstream_errors_total", {}, "upstream")]),
  );
  return board;
}
