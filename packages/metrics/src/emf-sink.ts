import { createMetricsLogger, StorageResolution, Unit, type MetricsLogger } from "aws-embedded-metrics";
import { CATALOG, type MetricName, type MetricSpec, type MetricUnit } from "./catalog";
import type { Metrics } from "./sink";

const UNITS: Record<MetricUnit, Unit> = {
  count: Unit.Count,
  seconds: Unit.Seconds,
  bytes: Unit.Bytes,
  currency: Unit.None,
  ratio: Unit.None,
  price: Unit.None,
  quantity: Unit.None,
  boolean: Unit.Count,
};

/** One EMF document per dimension set per flush. */
interface Bucket {
  dimensions: Record<string, string>;
  values: { name: MetricName; value: number }[];
}

/**
 * Metrics as CloudWatch Embedded Metric Format, written by `flush()`: at the end of a Lambda
 * invocation, and every `flushIntervalMs` in a long-running task (Fargate's awslogs driver ships
 * stdout). Labels become dimensions. Counters and histograms send what was recorded since the
 * last flush; gauges send their latest value at every flush, so a steady gauge (tickflow_up = 1)
 * keeps reporting instead of going missing, which alarms read as a breach.
 */
export class EmfMetrics implements Metrics {
  private readonly recorded = new Map<string, Bucket>();
  private readonly gauges = new Map<string, { dimensions: Record<string, string>; name: MetricName; value: number }>();
  private readonly collectors: (() => void | Promise<void>)[] = [];

  constructor(
    private readonly namespace: string,
    private readonly service: string,
    options: { flushIntervalMs?: number; makeLogger?: () => MetricsLogger } = {},
  ) {
    this.makeLogger = options.makeLogger ?? createMetricsLogger;
    if (options.flushIntervalMs) setInterval(() => void this.flush(), options.flushIntervalMs).unref();
  }

  private readonly makeLogger: () => MetricsLogger;

  private dimensions(labels: Record<string, string>): Record<string, string> {
    return { service: this.service, ...labels };
  }

  private record(name: MetricName, labels: Record<string, string>, value: number): void {
    const dimensions = this.dimensions(labels);
    const key = JSON.stringify(dimensions);
    let bucket = this.recorded.get(key);
    if (!bucket) this.recorded.set(key, (bucket = { dimensions, values: [] }));
    bucket.values.push({ name, value });
  }

  inc(name: MetricName, labels: Record<string, string>, value = 1): void {
    this.record(name, labels, value);
  }

  observe(name: MetricName, labels: Record<string, string>, value: number): void {
    this.record(name, labels, value);
  }

  set(name: MetricName, labels: Record<string, string>, value: number): void {
    const dimensions = this.dimensions(labels);
    this.gauges.set(JSON.stringify([name, dimensions]), { dimensions, name, value });
  }

  onCollect(collect: () => void | Promise<void>): void {
    this.collectors.push(collect);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: "text/plain", body: "" };
  }

  async flush(): Promise<void> {
    await Promise.all(this.collectors.map((c) => c()));
    const buckets = new Map(this.recorded);
    this.recorded.clear();
    for (const gauge of this.gauges.values()) {
      const key = JSON.stringify(gauge.dimensions);
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = { dimensions: gauge.dimensions, values: [] }));
      bucket.values.push({ name: gauge.name, value: gauge.value });
    }
    for (const bucket of buckets.values()) {
      const logger = this.makeLogger();
      logger.setNamespace(this.namespace);
      logger.setDimensions(bucket.dimensions);
      for (const { name, value } of bucket.values) {
        const spec = CATALOG[name] as MetricSpec;
        logger.putMetric(name, value, UNITS[spec.unit], StorageResolution.Standard);
      }
      await logger.flush();
    }
  }
}
