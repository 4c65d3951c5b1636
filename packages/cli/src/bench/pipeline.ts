import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { decodeEvent, encodeEvent, KafkaBus } from "@tickflow/bus";
import { MarketSimulator, Universe } from "@tickflow/core";
import { Supervised } from "../up/supervisor";
import { percentile } from "./stats";

const ROOT = resolve(import.meta.dirname, "../../../..");
const SYMBOLS = ["AAPL", "MSFT", "TSLA", "BTC-USD", "ETH-USD", "EUR-USD", "GBP-USD"];

/** Fast-trading instances: many fills per second give the latency percentiles enough samples. */
const LATENCY_STRATEGIES = [
  { id: "sma-fast", kind: "sma-crossover", symbols: SYMBOLS, params: { fast: 2, slow: 3 } },
  { id: "mr-fast", kind: "mean-reversion", symbols: SYMBOLS, params: { window: 5, entryZ: 0.8, exitZ: 0.2 } },
  { id: "bo-fast", kind: "breakout", symbols: SYMBOLS, params: { window: 3, exitWindow: 2 } },
];

export interface PipelineThroughput {
  ticks: number;
  ticksPerSecond: number;
}

export interface PipelineLatency {
  ticksPerSecond: number;
  fills: number;
  p50Ms: number;
  p99Ms: number;
}

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function workers(
  brokers: string,
  prefix: string,
  marketData: Record<string, string>,
  strategy: Record<string, string>,
) {
  const ports = [await freePort(), await freePort()];
  const quiet = () => {};
  const env = { KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: "warn" };
  const st = new Supervised(
    {
      name: "strategy",
      command: process.execPath,
      args: ["--import", "tsx", "packages/strategy/src/main.ts"],
      cwd: ROOT,
      env: { ...env, ST_HTTP_PORT: String(ports[1]), ...strategy },
      readyUrl: `http://127.0.0.1:${ports[1]}/health`,
    },
    quiet,
  );
  await st.start();
  const md = new Supervised(
    {
      name: "market-data",
      command: process.execPath,
      args: ["--import", "tsx", "packages/market-data/src/main.ts"],
      cwd: ROOT,
      env: { ...env, MD_HTTP_PORT: String(ports[0]), ...marketData },
      readyUrl: `http://127.0.0.1:${ports[0]}/health`,
    },
    quiet,
  );
  await md.start();
  return {
    strategyUrl: `http://127.0.0.1:${ports[1]}`,
    stop: async () => void (await Promise.all([md.stop(), st.stop()])),
  };
}

/** Sustained throughput: market-data publishes `ticks` as fast as it can; timed from the strategy's first processed tick to its last. */
export async function pipelineThroughput(brokers: string, ticks: number): Promise<PipelineThroughput> {
  const prefix = `bench-${randomUUID().slice(0, 8)}-`;
  const run = await workers(
    brokers,
    prefix,
    { MD_CLOCK: "simulated", MD_TICKS_PER_SECOND: "0", MD_MAX_TICKS: String(ticks) },
    {},
  );
  try {
    let first: bigint | null = null;
    for (;;) {
      const { ticks: done } = await getJson<{ ticks: number }>(`${run.strategyUrl}/health`);
      if (done > 0 && first === null) first = process.hrtime.bigint();
      if (done >= ticks) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { ticks, ticksPerSecond: ticks / (Number(process.hrtime.bigint() - first!) / 1e9) };
  } finally {
    await run.stop();
  }
}

/**
 * Tick-to-fill latency at a fixed rate: market-data stamps each tick with the wall clock, and a
 * read_committed consumer of strategy.orders.v1 measures, for every fill (an order.filled each,
 * however many an order takes), the time from the tsEvent of the tick it filled on to the
 * moment the committed fill reaches it.
 */
export async function pipelineLatency(
  brokers: string,
  ticksPerSecond: number,
  durationMs: number,
): Promise<PipelineLatency> {
  const prefix = `bench-${randomUUID().slice(0, 8)}-`;
  const bus = new KafkaBus({ clientId: "bench-latency", brokers: brokers.split(",") }, prefix);
  await bus.ensureTopics();
  const samples: number[] = [];
  let measuring = false;
  const subscription = await bus.subscribe({
    groupId: `bench-latency-${randomUUID()}`,
    topics: ["orders"],
    fromBeginning: true,
    onBatch: async (records) => {
      const now = Date.now();
      if (!measuring) return;
      for (const r of records) {
        const event = decodeEvent(r.value);
        if (event.type === "order.filled") samples.push(now - event.data.tsEvent);
      }
    },
  });
  const run = await workers(
    brokers,
    prefix,
    { MD_CLOCK: "wall", MD_TICKS_PER_SECOND: String(ticksPerSecond / SYMBOLS.length) },
    { ST_STRATEGIES: JSON.stringify(LATENCY_STRATEGIES), ST_MAX_DRAWDOWN: "1" },
  );
  try {
    await new Promise((r) => setTimeout(r, 3_000)); // warm-up: JIT, group join, first bars
    measuring = true;
    await new Promise((r) => setTimeout(r, durationMs));
    measuring = false;
  } finally {
    await run.stop();
    await subscription.stop();
    await bus.close();
  }
  return { ticksPerSecond, fills: samples.length, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
}

/** Mean bytes of an encoded quote.tick across the universe, to size the raw-producer baselines like our records. */
export function tickRecordBytes(): number {
  const universe = new Universe();
  const simulator = new MarketSimulator({ instruments: universe.instruments, seed: "size" });
  const now = Date.now();
  const sizes = SYMBOLS.map((symbol) => {
    const tick = simulator.quoteAt(symbol, now);
    return encodeEvent({ type: "quote.tick", id: `${symbol}:${tick.seq}`, ts: tick.tsEvent, data: tick }, "market-data")
      .length;
  });
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}
