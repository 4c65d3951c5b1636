import { decodeEvent, MemoryBus } from "@tickflow/bus";
import { DEFAULT_UNIVERSE, mergeInstruments, parseInstrumentsFile, Universe } from "@tickflow/core";
import { PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { marketDataConfig, startMarketData, type MarketDataService } from "../src";

const logger = pino({ level: "silent" });
const running: MarketDataService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(bus: MemoryBus, env: Record<string, string>) {
  const service = await startMarketData({
    config: marketDataConfig({ MD_HTTP_PORT: "0", MD_SYMBOLS: "AAPL,EUR-USD", ...env }),
    bus,
    metrics: new PrometheusMetrics(),
    logger,
  });
  running.push(service);
  return service;
}

async function quotesOn(bus: MemoryBus) {
  return (await bus.readTail("quotes", 1_000_000))
    .map((r) => decodeEvent(r.value))
    .map((e) => e.data as { symbol: string; seq: number; tsEvent: number });
}

describe("market-data service on the in-memory bus", () => {
  it("publishes quote.tick keyed by symbol and serves the board, one quote and health", async () => {
    const bus = new MemoryBus();
    const service = await start(bus, { MD_CLOCK: "simulated", MD_TICKS_PER_SECOND: "0", MD_MAX_TICKS: "200" });
    await service.done;
    const records = await bus.readTail("quotes", 1_000);
    expect(records).toHaveLength(200);
    for (const r of records) expect(r.key).toBe((decodeEvent(r.value).data as { symbol: string }).symbol);

    const base = `http://127.0.0.1:${service.port}`;
    const board = (await (await fetch(`${base}/quotes`)).json()) as { symbol: string; seq: number }[];
    expect(board.map((q) => [q.symbol, q.seq])).toEqual([
      ["AAPL", 100],
      ["EUR-USD", 100],
    ]);
    const one = (await (await fetch(`${base}/quotes/EUR-USD?limit=5`)).json()) as {
      quote: { seq: number };
      history: unknown[];
    };
    expect(one.quote.seq).toBe(100);
    expect(one.history).toHaveLength(5);
    const missing = await fetch(`${base}/quotes/NOPE`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
    expect(await missing.json()).toMatchObject({ code: "unknown-symbol" });
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({
      ok: true,
      feed: "exhausted",
      ticksPublished: 200,
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/tickflow_ticks_published_total\{symbol="AAPL"\} 100/);
  });

  it("simulates and serves instruments from an instruments file, and names MD_SYMBOLS when one is unknown", async () => {
    const universe = new Universe(
      mergeInstruments(
        DEFAULT_UNIVERSE,
        parseInstrumentsFile(
          "symbol,currency,priceIncrement,sizeIncrement,startPrice\nBTCUSDT,USD,0.01,0.001,42000",
          "instruments.csv",
        ),
      ),
    );
    const env = { MD_INSTRUMENTS_FILE: "instruments.csv", MD_CLOCK: "simulated", MD_TICKS_PER_SECOND: "0" };
    const deps = { bus: new MemoryBus(), metrics: new PrometheusMetrics(), logger, universe };
    const config = marketDataConfig({ ...env, MD_HTTP_PORT: "0", MD_SYMBOLS: "BTCUSDT", MD_MAX_TICKS: "10" });
    const service = await startMarketData({ ...deps, config });
    running.push(service);
    await service.done;
    const base = `http://127.0.0.1:${service.port}`;
    const board = (await (await fetch(`${base}/quotes`)).json()) as { symbol: string; seq: number }[];
    expect(board.map((q) => [q.symbol, q.seq])).toEqual([["BTCUSDT", 10]]);
    const instruments = (await (await fetch(`${base}/instruments`)).json()) as { symbol: string }[];
    expect(instruments.map((i) => i.symbol).at(-1)).toBe("BTCUSDT");

    const unknown = marketDataConfig({ ...env, MD_HTTP_PORT: "0", MD_SYMBOLS: "BTCUSDT,ETHUSDT" });
    await expect(startMarketData({ ...deps, config: unknown })).rejects.toThrow(
      /^MD_SYMBOLS: unknown ETHUSDT; valid symbols: AAPL, .*, BTCUSDT$/,
    );
  });

  it("continues seq after the last tick on the bus when restarted: no gap, no duplicate", async () => {
    const bus = new MemoryBus();
    const first = await start(bus, { MD_CLOCK: "simulated", MD_TICKS_PER_SECOND: "0", MD_MAX_TICKS: "60" });
    await first.done;
    await first.stop();
    running.splice(0);
    const second = await start(bus, { MD_CLOCK: "simulated", MD_TICKS_PER_SECOND: "0", MD_MAX_TICKS: "40" });
    await second.done;
    const quotes = await quotesOn(bus);
    for (const symbol of ["AAPL", "EUR-USD"]) {
      const mine = quotes.filter((q) => q.symbol === symbol);
      expect(mine.map((q) => q.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // the simulated clock goes on from the last tick instead of starting over
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.tsEvent).toBeGreaterThan(mine[i - 1]!.tsEvent);
    }
  });
});
