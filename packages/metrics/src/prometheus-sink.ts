import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { CATALOG, type MetricName, type MetricSpec } from "./catalog";
import type { Metrics } from "./sink";

type AnyMetric = Counter | Gauge | Histogram;

/** Metrics in a prom-client registry, exposed as Prometheus text on /metrics. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: (() => void | Promise<void>)[] = [];

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    collectDefaultMetrics({ register: this.registry });
    for (const [name, raw] of Object.entries(CATALOG)) {
      const spec = raw as MetricSpec;
      if (spec.builtin) continue;
      const config = { name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
      const metric =
        spec.type === "counter"
          ? new Counter(config)
          : spec.type === "gauge"
            ? new Gauge(config)
            : new Histogram({ ...config, buckets: [...(spec.buckets ?? [])] });
      this.metrics.set(name, metric);
    }
  }

  private get<T extends AnyMetric>(name: MetricName): T {
    return this.metrics.get(name) as T;
  }

  inc(name: MetricName, labels: Record<string, string>, value = 1): void {
    this.get<Counter>(name).inc(labels, value);
  }

  set(name: MetricName, labels: Record<string, string>, value: number): void {
    this.get<Gauge>(name).set(labels, value);
  }

  observe(name: MetricName, labels: Record<string, string>, value: number): void {
    this.get<Histogram>(name).observe(labels, value);
  }

  /** Forgets a gauge's series, e.g. a partition that no longer exists. */
  reset(name: MetricName): void {
    this.get<Gauge>(name).reset();
  }

  onCollect(collect: () => void | Promise<void>): void {
    this.collectors.push(collect);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    await Promise.all(this.collectors.map((c) => c()));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  async flush(): Promise<void> {}
}
