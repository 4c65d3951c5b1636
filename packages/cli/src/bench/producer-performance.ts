import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { ensureJars } from "@tickflow/local-kafka";

export interface ProducerPerformanceFigures {
  recordsPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  /** The tool's own summary line. */
  summary: string;
}

/**
 * Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance from kafka-tools,
 * the jars the local launcher fetched) with idempotence and acks=all, as our producers use.
 */
export async function producerPerformance(
  brokers: string[],
  count: number,
  recordBytes: number,
): Promise<ProducerPerformanceFigures> {
  const lib = await ensureJars();
  const admin = new Kafka({ clientId: "bench-admin", brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topic = `bench-producer-performance-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  try {
    const { stdout } = await promisify(execFile)(
      "java",
      [
        "-Xmx512m",
        "-cp",
        `${lib}/*`,
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        String(count),
        "--record-size",
        String(recordBytes),
        "--throughput",
        "-1",
        "--producer-props",
        `bootstrap.servers=${brokers.join(",")}`,
        "acks=all",
        "enable.idempotence=true",
      ],
      { maxBuffer: 16 << 20 },
    );
    // e.g. "100000 records sent, 61199.5 records/sec (14.59 MB/sec), 480.20 ms avg latency, 812.00 ms max latency, 472 ms 50th, 790 ms 95th, 805 ms 99th, 811 ms 99.9th."
    const summary = stdout.trim().split("\n").at(-1)!;
    const match = /records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(summary);
    if (!match) throw new Error(`unexpected ProducerPerformance output: ${summary}`);
    return {
      recordsPerSecond: Number(match[1]),
      avgLatencyMs: Number(match[2]),
      p99LatencyMs: Number(match[3]),
      summary,
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}
