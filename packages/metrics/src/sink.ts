import type { LabelsOf, MetricOfType } from "./catalog";

/**
 * The one metrics facade services write to. Names and label sets are checked against the
 * catalog at compile time; the sink decides where they go.
 */
export interface Metrics {
  inc<N extends MetricOfType<"counter">>(name: N, labels: LabelsOf<N>, value?: number): void;
  set<N extends MetricOfType<"gauge">>(name: N, labels: LabelsOf<N>, value: number): void;
  observe<N extends MetricOfType<"histogram">>(name: N, labels: LabelsOf<N>, value: number): void;
  /** Runs before each scrape (Prometheus) or flush (EMF), for gauges computed on demand such as data age. */
  onCollect(collect: () => void | Promise<void>): void;
  /** The Prometheus exposition; EMF has none and answers with an empty body. */
  exposition(): Promise<{ contentType: string; body: string }>;
  /** Writes buffered values (EMF) — a no-op for Prometheus, which is pulled. */
  flush(): Promise<void>;
}
