import { createServer } from "node:http";
import { Worker } from "node:worker_threads";
import { encodeEvent, MemoryBus, type OutgoingRecord } from "@tickflow/bus";
import { DEFAULT_UNIVERSE } from "@tickflow/core";
import { gatewayConfig, startLocalGateway } from "@tickflow/gateway";
import { PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { WebSocketServer } from "ws";
import type { ClientsSetup, FromClients, ToClients } from "./stream-clients";
import { summarizeLatencies, type LatencySummary } from "./stats";

/** The platform's full tick rate: market-data's default MD_TICKS_PER_SECOND on each symbol of the default universe. */
export const STREAM_SYMBOLS = DEFAULT_UNIVERSE.map((i) => i.symbol);
export const TICKS_PER_SECOND = 20;
/** order.accepted events a second, besides the quotes. */
export const ORDER_EVENTS_PER_SECOND = 20;
/** The gateway's default STREAM_QUOTES_PER_SECOND: the bare baseline sends as many quotes per symbol. */
const QUOTES_PER_SECOND_PER_CLIENT = 10;
/** The aim of the issue: p99 delivery under this. */
export const P99_AIM_MS = 100;

export interface StreamRun {
  server: "bare ws" | "gateway";
  clients: number;
  /** Connections that failed to open. */
  failed: number;
  /** Connections open at the end of the window. */
  open: number;
  /** Close codes of connections the server closed during the run (4008: too slow). */
  closes: Record<string, number>;
  quotes: LatencySummary;
  events: LatencySummary;
  /** Non-quote events published in the window times the clients: what `events.samples` should be. */
  expectedEvents: number;
  /** Quote messages received per client per second in the window. */
  quotesPerClientPerSecond: number;
}

export interface StreamFigures {
  symbols: number;
  ticksPerSecond: number;
  orderEventsPerSecond: number;
  windowSeconds: number;
  runs: StreamRun[];
  /** The largest client count whose quotes and events both had p99 under P99_AIM_MS, every event delivered and no connection cut; null when none. */
  largestUnderAim: number | null;
}

interface Server {
  url: string;
  publish(quotes: OutgoingRecord[], messages: string[]): void;
  stop(): Promise<void>;
}

const quoteEvent = (symbol: string, seq: number, now: number) => ({
  type: "quote.tick" as const,
  id: `${symbol}:${seq}`,
  ts: now,
  data: { symbol, seq, bid: 100, ask: 100.01, bidSize: 1, askSize: 1, tsEvent: now, tsInit: now },
});

const orderEvent = (n: number, now: number) => ({
  type: "order.accepted" as const,
  id: `bench:accepted:${n}`,
  ts: now,
  data: {
    orderId: `bench:${STREAM_SYMBOLS[n % STREAM_SYMBOLS.length]}:${n}`,
    strategyId: "bench",
    symbol: STREAM_SYMBOLS[n % STREAM_SYMBOLS.length]!,
    side: n % 2 === 0 ? ("buy" as const) : ("sell" as const),
    tsEvent: now,
    tsInit: now,
  },
});

/** An event as the gateway's stream writes it, without its seq. */
const streamText = (channel: string, e: { type: string; id: string; data: { tsEvent: number } }) =>
  JSON.stringify({ channel, type: e.type, id: e.id, tsEvent: e.data.tsEvent, data: e.data });

/** The gateway's local adapter on a memory bus: its stream's consumer reads what the bench publishes. */
async function gatewayServer(): Promise<Server> {
  const logger = pino({ level: "silent" });
  const bus = new MemoryBus();
  const publisher = await bus.publisher();
  const gateway = await startLocalGateway({
    config: gatewayConfig({ GATEWAY_PORT: "0", LOG_LEVEL: "silent" }),
    bus,
    metrics: new PrometheusMetrics(),
    logger,
  });
  return {
    url: `${gateway.url.replace(/^http/, "ws")}/api/stream`,
    publish: (records) => void publisher.publish(records),
    stop: async () => {
      await gateway.stop();
      await bus.close();
    },
  };
}

/**
 * The baseline: a bare `ws` server on node:http that sends each message, already serialized as
 * the gateway's stream serializes it, to every client; of each symbol's quotes only every second
 * one (QUOTES_PER_SECOND_PER_CLIENT of TICKS_PER_SECOND, no timers), so a client gets as many
 * messages as from the gateway.
 */
async function bareServer(): Promise<Server> {
  const http = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  /** Quotes of each symbol so far: every (TICKS_PER_SECOND / QUOTES_PER_SECOND_PER_CLIENT)th goes out. */
  const seen = new Map<string, number>();
  let seq = 0;
  return {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/`,
    publish: (_records, messages) => {
      for (const text of messages) {
        const quote = /^\{"channel":"quotes".*?"symbol":"([^"]+)"/.exec(text);
        if (quote) {
          const n = (seen.get(quote[1]!) ?? 0) + 1;
          seen.set(quote[1]!, n);
          if (n % (TICKS_PER_SECOND / QUOTES_PER_SECOND_PER_CLIENT) !== 0) continue;
        }
        const out = `{"seq":${(seq += 1)},${text.slice(1)}`;
        for (const ws of wss.clients) ws.send(out);
      }
    },
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

function startClients(setup: ClientsSetup) {
  const worker = new Worker(new URL("../optimize/worker-entry.js", import.meta.url), {
    workerData: { module: new URL("./stream-clients.ts", import.meta.url).href, ...setup },
  });
  const waiting: ((m: FromClients) => void)[] = [];
  const failure = new Promise<never>((_, reject) => {
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(`the stream bench's client thread exited (${code})`)));
  });
  failure.catch(() => {});
  worker.on("message", (m: FromClients) => waiting.shift()?.(m));
  const next = <T extends FromClients["type"]>(type: T) =>
    Promise.race([
      new Promise<Extract<FromClients, { type: T }>>((resolve, reject) =>
        waiting.push((m) =>
          m.type === type ? resolve(m as Extract<FromClients, { type: T }>) : reject(new Error(`got ${m.type}`)),
        ),
      ),
      failure,
    ]);
  return {
    next,
    send: (m: ToClients) => worker.postMessage(m),
    terminate: () => worker.terminate(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One run: `clients` connections subscribed to every channel; after a second of warm-up, a window
 * of `windowSeconds` in which every event's delivery latency is recorded at every client.
 */
async function run(kind: StreamRun["server"], clients: number, windowSeconds: number): Promise<StreamRun> {
  const server = kind === "gateway" ? await gatewayServer() : await bareServer();
  const threads = startClients({ url: server.url, clients, concurrency: 50 });
  let timer: NodeJS.Timeout | undefined;
  try {
    const connected = await threads.next("connected");
    if (connected.open === 0) throw new Error(`no client connected to ${server.url}: ${connected.firstError}`);
    let quoteSeq = 0;
    let orders = 0;
    const eventTimes: number[] = [];
    const tickMs = 1_000 / TICKS_PER_SECOND;
    const ordersPerTick = ORDER_EVENTS_PER_SECOND / TICKS_PER_SECOND;
    let orderDebt = 0;
    // every symbol's quote each tick, on a schedule that does not drift
    const start = Date.now();
    let ticks = 0;
    const tick = () => {
      const now = Date.now();
      quoteSeq += 1;
      const events = STREAM_SYMBOLS.map((symbol) => quoteEvent(symbol, quoteSeq, now));
      const messages = events.map((e) => streamText("quotes", e));
      const records: OutgoingRecord[] = events.map((e) => ({
        topic: "quotes",
        key: e.data.symbol,
        value: encodeEvent(e, "bench"),
      }));
      for (orderDebt += ordersPerTick; orderDebt >= 1; orderDebt -= 1) {
        const e = orderEvent((orders += 1), now);
        eventTimes.push(now);
        records.push({ topic: "orders", key: e.data.strategyId, value: encodeEvent(e, "bench") });
        messages.push(streamText("orders", e));
      }
      server.publish(records, messages);
      ticks += 1;
      timer = setTimeout(tick, Math.max(0, start + ticks * tickMs - Date.now()));
    };
    tick();
    await sleep(1_000);
    const from = Date.now();
    const to = from + windowSeconds * 1_000;
    threads.send({ type: "window", from, to });
    await sleep(to - Date.now());
    clearTimeout(timer);
    timer = undefined;
    await sleep(1_000); // what is still on its way
    threads.send({ type: "report" });
    const report = await threads.next("report");
    const published = eventTimes.filter((t) => t >= from && t < to).length;
    return {
      server: kind,
      clients,
      failed: connected.failed,
      open: report.open,
      closes: report.closes,
      quotes: summarizeLatencies(report.quotes),
      events: summarizeLatencies(report.events),
      expectedEvents: published * connected.open,
      quotesPerClientPerSecond: report.quotes.length / connected.open / windowSeconds,
    };
  } finally {
    if (timer) clearTimeout(timer);
    threads.send({ type: "close" });
    await Promise.race([threads.next("closed").catch(() => {}), sleep(5_000)]);
    await threads.terminate();
    await server.stop();
  }
}

/** Whether a run met the aim: both p99s under it, every event delivered, nothing cut. */
export function meetsAim(r: StreamRun): boolean {
  return (
    r.failed === 0 &&
    r.open === r.clients &&
    Object.keys(r.closes).length === 0 &&
    r.events.samples === r.expectedEvents &&
    r.quotes.p99Ms < P99_AIM_MS &&
    r.events.p99Ms < P99_AIM_MS
  );
}

/**
 * Concurrent stream clients at the platform's full tick rate (every symbol of the default
 * universe at market-data's default 20 ticks/s, plus order events): for each client count, the
 * bare `ws` baseline, then the gateway's /api/stream, in the same run.
 */
export async function benchStream(options: {
  clientCounts: readonly number[];
  windowSeconds: number;
  log: (line: string) => void;
}): Promise<StreamFigures> {
  const runs: StreamRun[] = [];
  for (const clients of options.clientCounts)
    for (const kind of ["bare ws", "gateway"] as const) {
      options.log(`stream: ${clients} clients on ${kind}`);
      runs.push(await run(kind, clients, options.windowSeconds));
    }
  const under = runs.filter((r) => r.server === "gateway" && meetsAim(r)).map((r) => r.clients);
  return {
    symbols: STREAM_SYMBOLS.length,
    ticksPerSecond: TICKS_PER_SECOND,
    orderEventsPerSecond: ORDER_EVENTS_PER_SECOND,
    windowSeconds: options.windowSeconds,
    runs,
    largestUnderAim: under.length > 0 ? Math.max(...under) : null,
  };
}
