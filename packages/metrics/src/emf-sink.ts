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

/** Label sets that make a CloudWatch dimension set; one EMF document per set per flush. */
interface Bucket {
  dimensions: Record<string, string>;
  values: { name: MetricName; value: number }[];
}

/**
 * Metrics as CloudWatch Embedded Metric Format: buffered, written by `flush()` (at the end of a
 * Lambda invocation, or every few seconds on Fargate where the awslogs driver ships stdout).
 * Labels become dimensions; counters send their increments, gauges their latest value.
 */
export class EmfMetrics implements Metrics {
  private readonly buckets = new Map<string, Bucket>();
  private readonly collectors: (() => void | Promise<void>)[] = [];

  constructor(
    private readonly namespace: string,
    private readonly service: string,
    private readonly makeLogger: () => MetricsLogger = createMetricsLogger,
  ) {}

  private add(name: MetricName, labels: Record<string, string>, value: number, replace: boolean): void {
    const dimensions = { service: this.service, ...labels };
    const key = JSON.stringify([name, dimensions]);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { dimensions, values: [] }));
    if (replace) bucket.values = [{ name, value }];
    else bucket.values.push({ name, value });
  }

  inc(name: MetricName, labels: Record<string, string>, value = 1): void {
    this.add(name, labels, value, false);
  }

  set(name: MetricName, labels: Record<string, string>, value: number): void {
    this.add(name, labels, value, true);
  }

  observe(name: MetricName, labels: Record<string, string>, value: number): void {
    this.add(name, labels, value, false);
  }

  onCollect(collect: () => void | Promise<void>): void {
    this.collectors.push(collect);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: "text/plain", body: "" };
  }

  async flush(): Promise<void> {
    await Promise.all(this.collectors.map((c) => c()));
    const buckets = [...this.buckets.values()];
    this.buckets.clear();
    for (const bucket of buckets) {
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
