/**
 * The metrics catalog: every metric Tickflow exposes, with its type, labels, unit and meaning.
 * Both sinks, the Grafana dashboards, the Prometheus rules and the CloudWatch definitions use
 * these names only (tests hold them to it); monitoring/README.md is generated from this table.
 * Every series also carries a `service` label (Prometheus default label, EMF dimension).
 */
export type MetricType = "counter" | "gauge" | "histogram";
export type MetricUnit = "count" | "seconds" | "bytes" | "currency" | "ratio" | "price" | "quantity" | "boolean";

export interface MetricSpec {
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  readonly unit: MetricUnit;
  readonly buckets?: readonly number[];
  /** Who exposes it. */
  readonly services: readonly ("market-data" | "strategy" | "projector" | "gateway" | "all")[];
  /** Set by prom-client's default collectors rather than by Tickflow code. */
  readonly builtin?: true;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export const CATALOG = {
  tickflow_ticks_published_total: {
    type: "counter",
    help: "Quote ticks published to md.quotes.v1",
    labels: ["symbol"],
    unit: "count",
    services: ["market-data"],
  },
  tickflow_last_price: {
    type: "gauge",
    help: "Mid price of the latest tick",
    labels: ["symbol"],
    unit: "price",
    services: ["market-data"],
  },
  tickflow_publish_duration_seconds: {
    type: "histogram",
    help: "Time for one publish batch to be acknowledged by all in-sync replicas",
    labels: ["topic"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["market-data"],
  },
  tickflow_last_tick_age_seconds: {
    type: "gauge",
    help: "Seconds since the latest tick of the symbol, computed when scraped so stale data shows",
    labels: ["symbol"],
    unit: "seconds",
    services: ["market-data", "strategy"],
  },
  tickflow_ticks_processed_total: {
    type: "counter",
    help: "Quote ticks the strategy engine applied, counted when their transaction commits",
    labels: ["symbol"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_ticks_dropped_total: {
    type: "counter",
    help: "Ticks the engine did not apply, by kind: duplicate (seq already seen), missing (a gap in seq), or the quote guard's reason (the record went to the DLQ)",
    labels: ["kind"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_tick_to_signal_seconds: {
    type: "histogram",
    help: "From a tick's tsEvent to the commit of the signal it caused",
    labels: ["strategy"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["strategy"],
  },
  tickflow_signals_total: {
    type: "counter",
    help: "Signals generated",
    labels: ["strategy", "symbol", "direction"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_orders_total: {
    type: "counter",
    help: "Orders by outcome: submitted, accepted, filled (once, when fully filled), canceled or rejected",
    labels: ["strategy", "outcome"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_commands_total: {
    type: "counter",
    help: "Commands the strategy engine answered, by kind and outcome (applied or rejected, with the stable reason)",
    labels: ["kind", "outcome", "reason"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_fills_total: {
    type: "counter",
    help: "Paper fills (an order may fill in several)",
    labels: ["strategy", "symbol", "side"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_position: {
    type: "gauge",
    help: "Signed position quantity",
    labels: ["strategy", "symbol"],
    unit: "quantity",
    services: ["strategy"],
  },
  tickflow_realized_pnl: {
    type: "gauge",
    help: "Realized PnL before fees",
    labels: ["strategy"],
    unit: "currency",
    services: ["strategy"],
  },
  tickflow_unrealized_pnl: {
    type: "gauge",
    help: "Unrealized PnL, positions marked to mid",
    labels: ["strategy"],
    unit: "currency",
    services: ["strategy"],
  },
  tickflow_fees: { type: "gauge", help: "Fees paid", labels: ["strategy"], unit: "currency", services: ["strategy"] },
  tickflow_equity: {
    type: "gauge",
    help: "Account equity: cash plus positions marked to mid",
    labels: ["strategy"],
    unit: "currency",
    services: ["strategy"],
  },
  tickflow_drawdown_ratio: {
    type: "gauge",
    help: "Current drawdown from the equity peak, as a fraction",
    labels: ["strategy"],
    unit: "ratio",
    services: ["strategy"],
  },
  tickflow_strategy_halted: {
    type: "gauge",
    help: "1 while the strategy is halted by its drawdown limit",
    labels: ["strategy"],
    unit: "boolean",
    services: ["strategy"],
  },
  tickflow_consumer_lag: {
    type: "gauge",
    help: "Records between a consumer group's committed offset and the end of the partition",
    labels: ["group", "topic", "partition"],
    unit: "count",
    services: ["strategy", "projector", "gateway"],
  },
  tickflow_dlq_messages_total: {
    type: "counter",
    help: "Records sent to dlq.v1",
    labels: ["topic", "reason"],
    unit: "count",
    services: ["strategy", "projector", "gateway"],
  },
  tickflow_transactions_total: {
    type: "counter",
    help: "Exactly-once transactions committed by the processor",
    labels: ["processor"],
    unit: "count",
    services: ["strategy"],
  },
  tickflow_projector_records_total: {
    type: "counter",
    help: "Records the projector consumed, by outcome: applied (written with their offsets), skipped (already in the database: a redelivery), dead-lettered",
    labels: ["topic", "outcome"],
    unit: "count",
    services: ["projector"],
  },
  tickflow_projector_rows_total: {
    type: "counter",
    help: "Rows the projector wrote (inserted or updated), by table, counted when their transaction commits",
    labels: ["table"],
    unit: "count",
    services: ["projector"],
  },
  tickflow_projector_batch_duration_seconds: {
    type: "histogram",
    help: "Time to write one partition batch and its offsets in one database transaction",
    labels: ["topic"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["projector"],
  },
  tickflow_projector_event_age_seconds: {
    type: "histogram",
    help: "From an event's tsEvent to its commit in the read side: how far behind the database is",
    labels: ["topic"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["projector"],
  },
  tickflow_http_requests_total: {
    type: "counter",
    help: "HTTP requests served",
    labels: ["route", "method", "status"],
    unit: "count",
    services: ["all"],
  },
  tickflow_http_request_duration_seconds: {
    type: "histogram",
    help: "HTTP request duration",
    labels: ["route", "method"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["all"],
  },
  tickflow_upstream_errors_total: {
    type: "counter",
    help: "Failed or timed-out calls from the gateway to a worker",
    labels: ["upstream", "kind"],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_risk_events_total: {
    type: "counter",
    help: "Risk and order events handled by the risk/alerts consumer",
    labels: ["type"],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_alerts_sent_total: {
    type: "counter",
    help: "Alerts sent for risk.halted events",
    labels: ["strategy", "channel"],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_stream_clients: {
    type: "gauge",
    help: "Clients connected to the local stream (/api/stream)",
    labels: [],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_stream_messages_total: {
    type: "counter",
    help: "Messages the local stream sent, by channel: one per client (quotes after conflation), replays included",
    labels: ["channel"],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_stream_disconnects_total: {
    type: "counter",
    help: "Stream connections the gateway closed: slow-consumer (4008), token-expired (4401), no-pong (no answer to a heartbeat ping)",
    labels: ["reason"],
    unit: "count",
    services: ["gateway"],
  },
  tickflow_stream_event_age_seconds: {
    type: "histogram",
    help: "From an event's tsEvent to its fan-out by the local stream: how late the stream's consumer is",
    labels: ["channel"],
    unit: "seconds",
    buckets: LATENCY_BUCKETS,
    services: ["gateway"],
  },
  tickflow_up: {
    type: "gauge",
    help: "1 while the service runs and its dependencies answer",
    labels: [],
    unit: "boolean",
    services: ["all"],
  },
  process_cpu_seconds_total: {
    type: "counter",
    help: "User and system CPU time (prom-client default)",
    labels: [],
    unit: "seconds",
    services: ["all"],
    builtin: true,
  },
  process_resident_memory_bytes: {
    type: "gauge",
    help: "Resident memory (prom-client default)",
    labels: [],
    unit: "bytes",
    services: ["all"],
    builtin: true,
  },
  nodejs_eventloop_lag_p99_seconds: {
    type: "gauge",
    help: "Event loop lag, 99th percentile (prom-client default)",
    labels: [],
    unit: "seconds",
    services: ["all"],
    builtin: true,
  },
  nodejs_heap_size_used_bytes: {
    type: "gauge",
    help: "V8 heap used (prom-client default)",
    labels: [],
    unit: "bytes",
    services: ["all"],
    builtin: true,
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof CATALOG;
export type OwnMetricName = {
  [N in MetricName]: (typeof CATALOG)[N] extends { builtin: true } ? never : N;
}[MetricName];
export type LabelsOf<N extends MetricName> = Record<(typeof CATALOG)[N]["labels"][number], string>;
export type MetricOfType<T extends MetricType> = {
  [N in OwnMetricName]: (typeof CATALOG)[N]["type"] extends T ? N : never;
}[OwnMetricName];

/** The catalog as a Markdown table (monitoring/README.md holds this; a test keeps it current). */
export function catalogMarkdown(): string {
  const rows = Object.entries(CATALOG).map(([name, spec]) => {
    const s = spec as MetricSpec;
    return `| \`${name}\` | ${s.type} | ${s.labels.map((l) => `\`${l}\``).join(", ") || "-"} | ${s.unit} | ${s.services.join(", ")} | ${s.help} |`;
  });
  return ["| metric | type | labels | unit | exposed by | meaning |", "|---|---|---|---|---|---|", ...rows].join("\n");
}
