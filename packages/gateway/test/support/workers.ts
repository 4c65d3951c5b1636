import { createServer, type Server } from "node:http";
import { MemoryBus } from "@tickflow/bus";
import { marketDataConfig, startMarketData } from "@tickflow/market-data";
import { PrometheusMetrics } from "@tickflow/metrics";
import { PROJECTED_TOPICS, projectorConfig, startProjector } from "@tickflow/projector";
import { openDatabase, ReadSide, storedOffsets } from "@tickflow/read-side";
import { serveEmbeddedDatabase } from "@tickflow/read-side/local";
import { startStrategy, strategyWorkerConfig } from "@tickflow/strategy";
import { pino, type Logger } from "pino";

import { RETAIN_ALL, until } from "@tickflow/test-support";

export const SYMBOLS = ["AAPL", "BTC-USD", "EUR-USD"];
export const START = Date.UTC(2026, 2, 2, 14, 30);

/** Short windows so a few thousand ticks give bars, signals, fills and, with a tight drawdown limit, halts. */
export const STRATEGIES = [
  { id: "sma", kind: "sma-crossover", symbols: SYMBOLS, params: { fast: 3, slow: 8 } },
  { id: "mr", kind: "mean-reversion", symbols: SYMBOLS, params: { window: 10, entryZ: 1.5, exitZ: 0.3 } },
  { id: "bo", kind: "breakout", symbols: SYMBOLS, params: { window: 10, exitWindow: 4, tradeNotional: 30_000 } },
];

/** A drawdown limit the seeded run below trips for some strategies: halts, hence alerts. */
export const HALTING_DRAWDOWN = "0.0015";

export function marketDataEnv(ticks: number): Record<string, string> {
  return {
    MD_SYMBOLS: SYMBOLS.join(","),
    MD_SEED: "gateway-7",
    MD_CLOCK: "simulated",
    MD_START_TIME: String(START),
    MD_MAX_TICKS: String(ticks),
    MD_TICKS_PER_SECOND: "0",
  };
}

export function strategyEnv(maxDrawdown: string): Record<string, string> {
  return {
    ST_STRATEGIES: JSON.stringify(STRATEGIES),
    ST_MAX_POSITION: "50000",
    ST_MAX_GROSS: "1000000",
    ST_MAX_DRAWDOWN: maxDrawdown,
    ST_TAKER_FEE_BPS: "2",
  };
}

export interface InProcessWorkers {
  bus: MemoryBus;
  marketDataUrl: string;
  strategyUrl: string;
  /** The read side the projector filled: an embedded PGlite served on a free port. */
  databaseUrl: string;
  readSide: ReadSide;
  stop(): Promise<void>;
}

/**
 * Both workers and the projector in this process on one in-memory bus, HTTP on free ports, the
 * read side in embedded PGlite: `ticks` seeded, simulated-clock quotes are published as fast as
 * possible, and the strategy worker has processed all of them and the projector stored all it
 * made when this resolves, so every read API has data and stays still.
 */
export async function startInProcessWorkers(
  options: { ticks?: number; maxDrawdown?: string } = {},
): Promise<InProcessWorkers> {
  const ticks = options.ticks ?? 6_000;
  const bus = new MemoryBus();
  const logger: Logger = pino({ level: "silent" });
  const strategy = await startStrategy({
    config: strategyWorkerConfig({ ST_HTTP_PORT: "0", ...strategyEnv(options.maxDrawdown ?? "0.5") }),
    bus,
    metrics: new PrometheusMetrics({ service: "strategy" }),
    logger,
  });
  const marketData = await startMarketData({
    config: marketDataConfig({ MD_HTTP_PORT: "0", ...marketDataEnv(ticks) }),
    bus,
    metrics: new PrometheusMetrics({ service: "market-data" }),
    logger,
  });
  const database = await serveEmbeddedDatabase({});
  const projectorDb = openDatabase({ kind: "postgres", url: database.url }, { maxConnections: 2 });
  const config = projectorConfig({ PJ_HTTP_PORT: "0", DATABASE_URL: database.url, ...RETAIN_ALL });
  const projector = await startProjector({
    config,
    bus,
    db: projectorDb,
    target: { kind: "postgres", url: database.url },
    metrics: new PrometheusMetrics({ service: "projector" }),
    logger,
  });
  const strategyUrl = `http://127.0.0.1:${strategy.port}`;
  await until(
    `the strategy worker to process ${ticks} ticks`,
    async () => ((await (await fetch(`${strategyUrl}/health`)).json()) as { ticks: number }).ticks === ticks,
    60_000,
  );
  await until(
    "the projector to store every record of its topics",
    async () => {
      const stored = await storedOffsets(projectorDb, config.groupId);
      for (const id of PROJECTED_TOPICS)
        for (const { partition, high } of await bus.offsets(id)) {
          const at = stored.find((o) => o.topic === bus.topicName(id) && o.partition === partition)?.nextOffset ?? "0";
          if (at !== high) return false;
        }
      return true;
    },
    60_000,
  );
  const readDb = openDatabase({ kind: "postgres", url: database.url }, { maxConnections: 2 });
  return {
    bus,
    marketDataUrl: `http://127.0.0.1:${marketData.port}`,
    strategyUrl,
    databaseUrl: database.url,
    readSide: new ReadSide(readDb),
    stop: async () => {
      await marketData.stop();
      await strategy.stop();
      await projector.stop();
      await projectorDb.destroy();
      await readDb.destroy();
      await database.close();
      await bus.close();
    },
  };
}

/** A server that fails the way a broken worker does, for the gateway's failure paths. */
export async function startFaultyServer(
  behaviour: "hang" | "stall-mid-body" | "error-500" | "not-json" | "wrong-shape" | "unhealthy" | "no-route",
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    switch (behaviour) {
      case "hang":
        return; // accepts the connection, never answers
      case "stall-mid-body":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.write('[{"symbol":'); // starts the answer, never finishes it
      case "error-500":
        res.writeHead(500, { "content-type": "application/problem+json" });
        return void res.end(JSON.stringify({ status: 500, code: "internal-error" }));
      case "not-json":
        res.writeHead(200, { "content-type": "text/html" });
        return void res.end("<html>proxy error</html>");
      case "wrong-shape":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify([{ symbol: "AAPL", bid: "cheap" }]));
      case "no-route":
        res.writeHead(404, { "content-type": "application/problem+json" });
        return void res.end(
          JSON.stringify({
            type: "about:blank",
            title: "Not found",
            status: 404,
            code: "route-not-found",
            detail: `GET ${req.url}`,
          }),
        );
      case "unhealthy":
        res.writeHead(req.url === "/health" ? 503 : 200, { "content-type": "application/json" });
        return void res.end(JSON.stringify({ ok: false }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
