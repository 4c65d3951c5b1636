import { KafkaBus, DLQ_HEADERS, type DecodedEvent } from "@tickflow/bus";
import {
  runBacktest,
  simulatedTicks,
  TradingEngine,
  Universe,
  type EngineConfigInput,
  type OrderFilled,
  type PositionChanged,
  type QuoteTick,
  type StrategyView,
  type TradeClosed,
} from "@tickflow/core";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startKafka, stopKafka, resetKafkaData } from "@tickflow/local-kafka";
import { commandRecord, tickValue, topicEvents, uniquePrefix, until, Worker } from "@tickflow/test-support";

const brokers = inject("kafkaBrokers");
const universe = new Universe();
const SYMBOLS = ["AAPL", "BTC-USD", "EUR-USD"];
const START = Date.UTC(2026, 2, 2, 14, 30);
const SEED = "parity-7";

/**
 * Three strategies on three symbols with short windows (many fills) and a binding per-symbol
 * limit, using what the venue has: market entries (sma), limits at the band with bracket exits
 * in σ (mr), stops at the channel with a stop-loss in bps and a size the touch often cannot
 * fill at once (bo: partial fills).
 */
const STRATEGIES = [
  { id: "sma", kind: "sma-crossover", symbols: SYMBOLS, params: { fast: 3, slow: 8 } },
  {
    id: "mr",
    kind: "mean-reversion",
    symbols: SYMBOLS,
    params: { window: 10, entryZ: 1.5, exitZ: 0.3, takeProfitVol: 1, stopLossVol: 2 },
  },
  {
    id: "bo",
    kind: "breakout",
    symbols: SYMBOLS,
    params: { window: 10, exitWindow: 4, tradeNotional: 30_000, stopLossBps: 10 },
  },
];
// Cross-symbol limits (gross notional, drawdown) depend on how symbols interleave, which Kafka
// orders only per partition; per-symbol rules do not. These limits bind per symbol only.
const RISK = {
  ST_MAX_POSITION: "20000",
  ST_MAX_GROSS: "1000000000",
  ST_MAX_DRAWDOWN: "1",
  ST_LATENCY_MS: "60",
  ST_TAKER_FEE_BPS: "2",
  ST_MAKER_FEE_BPS: "1",
  ST_FILL_ON_TOUCH: "0.7",
};
const ENGINE: EngineConfigInput = {
  strategies: STRATEGIES,
  execution: { latencyMs: 60, takerFeeBps: 2, makerFeeBps: 1, fillOnTouchProbability: 0.7 },
  risk: { maxPositionNotional: 20_000, maxGrossNotional: 1_000_000_000, maxDrawdownPct: 1 },
};

function marketDataEnv(prefix: string, ticks: number, ticksPerSecond: number): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    MD_SYMBOLS: SYMBOLS.join(","),
    MD_SEED: SEED,
    MD_CLOCK: "simulated",
    MD_START_TIME: String(START),
    MD_MAX_TICKS: String(ticks),
    MD_TICKS_PER_SECOND: String(ticksPerSecond),
  };
}

function strategyEnv(prefix: string): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_SESSION_TIMEOUT_MS: "6000",
    ST_STRATEGIES: JSON.stringify(STRATEGIES),
    ...RISK,
  };
}

/** The in-process backtest of the same seeded ticks: what the pipeline must reproduce. */
function backtest(ticks: number, tickIntervalMs: number) {
  const fills: OrderFilled[] = [];
  const orderEvents: string[] = [];
  const trades: TradeClosed[] = [];
  const stream: QuoteTick[] = [
    ...simulatedTicks({ instruments: universe.select(SYMBOLS), seed: SEED, startTime: START, tickIntervalMs }, ticks),
  ];
  const engine = new TradingEngine(ENGINE, universe);
  runBacktest({
    engine: ENGINE,
    universe,
    ticks: stream,
    onEvent: (e) => {
      if (e.type === "order.filled") fills.push(e.data);
      if (e.type.startsWith("order.")) orderEvents.push(e.id);
      if (e.type === "trade.closed") trades.push(e.data);
    },
  });
  for (const t of stream) engine.onQuote(t);
  const positions = engine
    .strategies()
    .flatMap((s) => engine.portfolio(s.id).positions.map((p) => ({ strategyId: s.id, ...p })));
  return {
    stream,
    fills: fills.sort(byFill),
    orderEvents: orderEvents.sort(),
    trades: trades.sort((a, b) => a.tradeId.localeCompare(b.tradeId)),
    positions,
  };
}

const byFill = (a: OrderFilled, b: OrderFilled) => a.orderId.localeCompare(b.orderId) || a.fillNo - b.fillNo;
const fillsOf = (events: DecodedEvent[]) =>
  events
    .filter((e) => e.type === "order.filled")
    .map((e) => e.data as OrderFilled)
    .sort(byFill);
const tradesOf = (events: DecodedEvent[]) =>
  events.map((e) => e.data as TradeClosed).sort((a, b) => a.tradeId.localeCompare(b.tradeId));

/** Every strategy's position in each of its symbols, as the worker serves them (GET /strategies). */
async function servedPositions(strategy: Worker) {
  const response = await fetch(`${strategy.url}/strategies`);
  expect(response.status).toBe(200);
  return ((await response.json()) as StrategyView[]).flatMap((s) =>
    s.positions.map((p) => ({ strategyId: s.id, ...p })),
  );
}

/**
 * The latest position.changed of each strategy and symbol on strategy.positions.v1 (published on
 * each fill: the marks move on after it, the position does not), against the positions expected.
 */
function expectPublishedPositions(events: DecodedEvent[], expected: ReturnType<typeof backtest>["positions"]) {
  const latest = new Map(
    events.map((e) => {
      const p = e.data as PositionChanged;
      return [`${p.strategyId}:${p.symbol}`, p];
    }),
  );
  const traded = expected.filter((p) => p.quantity !== 0 || p.realizedPnl !== 0 || p.fees !== 0);
  expect(traded.length).toBeGreaterThan(3);
  expect([...latest.keys()].sort()).toEqual(traded.map((p) => `${p.strategyId}:${p.symbol}`).sort());
  for (const p of traded) {
    const published = latest.get(`${p.strategyId}:${p.symbol}`)!;
    expect({
      strategyId: published.strategyId,
      symbol: published.symbol,
      quantity: published.quantity,
      averagePrice: published.averagePrice,
      costBasis: published.costBasis,
      realizedPnl: published.realizedPnl,
      fees: published.fees,
    }).toEqual({
      strategyId: p.strategyId,
      symbol: p.symbol,
      quantity: p.quantity,
      averagePrice: p.averagePrice,
      costBasis: p.costBasis,
      realizedPnl: p.realizedPnl,
      fees: p.fees,
    });
  }
}

/** What the stream must have exercised for the comparison to mean something. */
function expectVenueExercised(expected: ReturnType<typeof backtest>) {
  expect(expected.fills.some((f) => f.fillNo > 1)).toBe(true);
  expect(expected.fills.some((f) => f.liquidity === "maker")).toBe(true);
  expect(expected.orderEvents.some((id) => id.endsWith(":triggered"))).toBe(true);
  expect(expected.fills.some((f) => f.orderId.endsWith(":tp") || f.orderId.endsWith(":sl"))).toBe(true);
  expect(expected.orderEvents.some((id) => id.endsWith(":canceled"))).toBe(true);
  expect(expected.trades.length).toBeGreaterThan(50);
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});

async function waitProcessed(strategy: Worker, ticks: number, timeoutMs: number) {
  await until(
    `the strategy worker to process ${ticks} ticks`,
    async () => {
      const health = await strategy.health<{ ticks: number }>();
      if (health.ticks !== ticks) throw new Error(`processed ${health.ticks} of ${ticks}`);
    },
    timeoutMs,
  );
}

describe("market-data -> Kafka -> strategy", () => {
  it("produces exactly the fills and final positions of the in-process backtest of the same ticks", async () => {
    const prefix = uniquePrefix("parity");
    const N = 30_000;
    const expected = backtest(N, 50);
    expect(expected.fills.length).toBeGreaterThan(200);
    expectVenueExercised(expected);

    workers.push(await Worker.start("strategy", strategyEnv(prefix)));
    workers.push(await Worker.start("market-data", marketDataEnv(prefix, N, 0)));
    const strategy = workers[0]!;
    await waitProcessed(strategy, N, 90_000);

    const quotes = (await topicEvents(brokers, prefix, "quotes")).map((e) => e.data as QuoteTick);
    const key = (t: QuoteTick) => `${t.symbol}:${t.seq}`;
    expect(quotes.length).toBe(N);
    expect(new Map(quotes.map((t) => [key(t), t]))).toEqual(new Map(expected.stream.map((t) => [key(t), t])));

    const orders = await topicEvents(brokers, prefix, "orders");
    const live = fillsOf(orders);
    expect(live.length).toBe(expected.fills.length);
    expect(live).toEqual(expected.fills);
    expect(orders.map((e) => e.id).sort()).toEqual(expected.orderEvents);
    expect(tradesOf(await topicEvents(brokers, prefix, "trades"))).toEqual(expected.trades);
    expect(await servedPositions(strategy)).toEqual(expected.positions);
    expectPublishedPositions(await topicEvents(brokers, prefix, "positions"), expected.positions);
  });

  it("survives kill -9 of the strategy worker several times with no lost, doubled or renamed fills", async () => {
    const prefix = uniquePrefix("crash");
    const N = 30_000;
    const expected = backtest(N, 1_000 / 250);
    const strategy = await Worker.start("strategy", strategyEnv(prefix));
    workers.push(strategy);
    // 250 ticks/s per symbol: about 40 s of stream to crash into
    workers.push(await Worker.start("market-data", marketDataEnv(prefix, N, 250)));
    const processed: number[] = [];
    for (let crash = 0; crash < 3; crash++) {
      await new Promise((r) => setTimeout(r, 2_000 + crash * 1_000));
      processed.push((await strategy.health<{ ticks: number }>()).ticks);
      await strategy.crashAndRestart();
    }
    // the crashes landed mid-stream, each after more progress
    expect(processed[0]).toBeGreaterThan(0);
    expect(processed[2]).toBeLessThan(N);
    await waitProcessed(strategy, N, 120_000);

    const events = await topicEvents(brokers, prefix, "orders");
    const live = fillsOf(events);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(live.length).toBe(expected.fills.length);
    expect(live).toEqual(expected.fills);
    expect(ids.sort()).toEqual(expected.orderEvents);
    expect(tradesOf(await topicEvents(brokers, prefix, "trades"))).toEqual(expected.trades);
    expect(await servedPositions(strategy)).toEqual(expected.positions);
    expectPublishedPositions(await topicEvents(brokers, prefix, "positions"), expected.positions);
  });

  it("applies every command exactly once across kill -9 between its acceptance and its application, a repeated id once", async () => {
    const prefix = uniquePrefix("commands");
    const strategy = await Worker.start("strategy", strategyEnv(prefix));
    workers.push(strategy);
    // ticks flow the whole time: commands are applied among them
    workers.push(await Worker.start("market-data", marketDataEnv(prefix, 30_000, 250)));
    const operator = new KafkaBus({ clientId: "operator", brokers: brokers.split(",") }, prefix);
    const publisher = await operator.publisher();
    try {
      // accepted (on strategy.commands.v1) while the worker is down: nothing has applied them yet
      await strategy.kill();
      await publisher.publish([
        commandRecord("add-extra-01", "strategy.add", "extra", {
          kind: "breakout",
          symbols: ["AAPL"],
          params: { window: 30 },
        }),
        commandRecord("pause-sma-01", "strategy.pause", "sma", {}),
        commandRecord("pause-sma-01", "strategy.pause", "sma", {}),
        commandRecord("params-mr-01", "strategy.params", "mr", { params: { window: 12 } }),
      ]);
      await strategy.restart();
      // then while it runs, each round killed right after it is accepted: some commands land in the
      // transaction the kill aborts, and are applied again from the last commit, once
      const toggles: string[] = [];
      for (let round = 0; round < 3; round++) {
        const batch = Array.from({ length: 10 }, (_, i) => {
          const n = round * 10 + i;
          toggles.push(`toggle-bo-${String(n).padStart(3, "0")}`);
          return commandRecord(toggles.at(-1)!, n % 2 === 0 ? "strategy.pause" : "strategy.resume", "bo", {});
        });
        // and a repeat of the first round's first command
        await publisher.publish([...batch, commandRecord("toggle-bo-000", "strategy.pause", "bo", {})]);
        await strategy.crashAndRestart();
      }
      const distinct = ["add-extra-01", "pause-sma-01", "params-mr-01", ...toggles];
      await until(
        "an outcome for every command",
        async () => {
          const answered = (await topicEvents(brokers, prefix, "commands")).filter(
            (e) => e.type !== "command.submitted",
          );
          return answered.length >= distinct.length;
        },
        90_000,
      );
      const outcomes = (await topicEvents(brokers, prefix, "commands")).filter((e) => e.type !== "command.submitted");
      const ids = outcomes.map((e) => (e.data as { commandId: string }).commandId);
      // one answer per command id, every one applied: a pause or resume applied twice would have been refused the second time
      expect([...ids].sort()).toEqual([...distinct].sort());
      expect(outcomes.every((e) => e.type === "command.applied")).toBe(true);
      const served = ((await (await fetch(`${strategy.url}/strategies`)).json()) as StrategyView[]).map((s) => [
        s.id,
        s.status,
      ]);
      // 30 toggles from pause: bo ends running
      expect(served).toEqual([
        ["sma", "paused"],
        ["mr", "running"],
        ["bo", "running"],
        ["extra", "running"],
      ]);
      expect(
        ((await (await fetch(`${strategy.url}/strategies/mr`)).json()) as { params: { window: number } }).params.window,
      ).toBe(12);
    } finally {
      await publisher.close();
      await operator.close();
    }
  });

  it("sends invalid JSON, schema-invalid data and an unknown version to dlq.v1 with headers, counts them, and goes on", async () => {
    const prefix = uniquePrefix("poison");
    const strategy = await Worker.start("strategy", strategyEnv(prefix));
    workers.push(strategy);
    const bus = new KafkaBus({ clientId: "poisoner", brokers: brokers.split(",") }, prefix);
    try {
      const publisher = await bus.publisher();
      const good = (seq: number) => tickValue("AAPL", seq, START + seq);
      await publisher.publish([
        { topic: "quotes", key: "AAPL", value: good(1) },
        { topic: "quotes", key: "AAPL", value: Buffer.from("{this is not json") },
        {
          topic: "quotes",
          key: "AAPL",
          value: Buffer.from(
            JSON.stringify({
              type: "quote.tick",
              version: 1,
              id: "x",
              ts: 1,
              source: "evil",
              data: { symbol: "AAPL", bid: "cheap" },
            }),
          ),
        },
        {
          topic: "quotes",
          key: "AAPL",
          value: Buffer.from(
            JSON.stringify({ type: "quote.tick", version: 7, id: "y", ts: 1, source: "future", data: {} }),
          ),
        },
        { topic: "quotes", key: "AAPL", value: good(2) },
      ]);
      await publisher.close();
      await waitProcessed(strategy, 2, 60_000);
      const dlq = await until(
        "three DLQ records",
        async () => {
          const records = await bus.readTail("dlq", 10);
          if (records.length < 3) throw new Error(`${records.length} in the DLQ`);
          return records;
        },
        30_000,
      );
      expect(dlq.map((r) => r.headers[DLQ_HEADERS.reason])).toEqual([
        "invalid-json",
        "invalid-data",
        "unknown-version",
      ]);
      expect(dlq.map((r) => r.headers[DLQ_HEADERS.sourceOffset])).toEqual(["1", "2", "3"]);
      for (const r of dlq) {
        expect(r.key).toBe("AAPL");
        expect(r.headers[DLQ_HEADERS.sourceTopic]).toBe(`${prefix}md.quotes.v1`);
        expect(r.headers[DLQ_HEADERS.sourcePartition]).toMatch(/^\d+$/);
        expect(r.headers[DLQ_HEADERS.error]!.length).toBeGreaterThan(5);
      }
      expect(dlq[0]!.value!.toString()).toBe("{this is not json");
      const metrics = await (await fetch(`${strategy.url}/metrics`)).text();
      for (const reason of ["invalid-json", "invalid-data", "unknown-version"]) {
        expect(metrics).toMatch(
          new RegExp(
            `tickflow_dlq_messages_total\\{topic="${prefix}md.quotes.v1",reason="${reason}",service="strategy"\\} 1`,
          ),
        );
      }
      expect(await strategy.health()).toMatchObject({ ok: true, ticks: 2 });
    } finally {
      await bus.close();
    }
  });

  it("recovers from a broker restart mid-stream with no gap and no duplicate in seq", async () => {
    // a broker of its own, so restarting it disturbs no other test
    const broker = { port: 19392, name: "restart-test" };
    await resetKafkaData(broker);
    const { brokers: own } = await startKafka(broker);
    try {
      const prefix = uniquePrefix("restart");
      const env = { KAFKA_BROKERS: own, KAFKA_TOPIC_PREFIX: prefix };
      const strategy = await Worker.start("strategy", { ...strategyEnv(prefix), ...env }, { supervise: true });
      const marketData = await Worker.start(
        "market-data",
        { ...env, MD_SYMBOLS: SYMBOLS.join(","), MD_TICKS_PER_SECOND: "50" },
        { supervise: true },
      );
      workers.push(strategy, marketData);
      await until(
        "ticks to flow",
        async () => {
          const h = await strategy.health<{ ticks: number }>();
          if (h.ticks < 300) throw new Error(`${h.ticks} ticks`);
        },
        30_000,
      );

      await stopKafka(broker);
      await new Promise((r) => setTimeout(r, 3_000));
      await startKafka(broker);

      // the worker may be between restarts right now (an orchestrator restarts a worker that gives up)
      const before = await until(
        "the strategy worker to answer after the restart",
        async () => (await strategy.health<{ ticks: number }>()).ticks,
        60_000,
      );
      await until(
        "ticks to flow again after the restart",
        async () => {
          const h = await strategy.health<{ ticks: number }>();
          if (h.ticks < before + 500) throw new Error(`${h.ticks} ticks`);
        },
        90_000,
      );
      await marketData.stop();

      const quotes = (await topicEvents(own, prefix, "quotes")).map((e) => e.data as QuoteTick);
      for (const symbol of SYMBOLS) {
        const seqs = quotes
          .filter((t) => t.symbol === symbol)
          .map((t) => t.seq)
          .sort((a, b) => a - b);
        expect(seqs.length).toBeGreaterThan(200);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      }
      await waitProcessed(strategy, quotes.length, 60_000);
    } finally {
      for (const w of workers.splice(0)) await w.stop();
      await stopKafka(broker);
    }
  });
});
