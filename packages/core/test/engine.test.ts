import { describe, expect, it } from "vitest";
import {
  MarketSimulator,
  STRATEGIES,
  TradingEngine,
  Universe,
  type EngineConfigInput,
  type EngineEvent,
  type QuoteTick,
} from "../src";
import { quote, scripted } from "./helpers";

const universe = new Universe();

const registry = new Map([...STRATEGIES, ["scripted", scripted]]);

function engineWith(config: Partial<EngineConfigInput> & { script: Record<string, string>; symbols?: string[] }) {
  const { script, symbols = ["AAPL"], ...rest } = config;
  return new TradingEngine(
    { strategies: [{ id: "s1", kind: "scripted", symbols, params: { script, tradeNotional: 1_000 } }], ...rest },
    universe,
    registry,
  );
}

/** One quote per second for AAPL: each closes the previous 1s bar. */
function secondly(prices: [number, number][], symbol = "AAPL", t0 = 1_000, size = 100): QuoteTick[] {
  return prices.map(([bid, ask], i) => quote(symbol, i + 1, t0 + i * 1_000, bid, ask, size));
}

function runAll(engine: TradingEngine, ticks: QuoteTick[]): EngineEvent[] {
  return ticks.flatMap((t) => {
    const outcome = engine.onQuote(t);
    return outcome.status === "applied" ? outcome.events : [];
  });
}

const SAMPLES = new Set(["equity.sampled", "portfolio.sampled"]);

/** The trading events of a run, without the equity samples every closed bar adds (tested on their own below). */
function run(engine: TradingEngine, ticks: QuoteTick[]): EngineEvent[] {
  return runAll(engine, ticks).filter((e) => !SAMPLES.has(e.type));
}

const types = (events: EngineEvent[]) => events.map((e) => e.type);

describe("trading engine: equity samples for the read side", () => {
  it("publishes none unless asked to (a backtest keeps its curve without them)", () => {
    const engine = engineWith({ script: {} });
    const events = runAll(
      engine,
      secondly([
        [100, 100.02],
        [100.5, 100.52],
        [101, 101.02],
      ]),
    );
    expect(events.filter((e) => SAMPLES.has(e.type))).toEqual([]);
    expect(engine.portfolio("s1").equityCurve.length).toBeGreaterThan(0);
  });

  it("samples each subscribed strategy's account and the portfolio at every closed bar, after the strategy's own state moved", () => {
    const engine = engineWith({ script: { "AAPL:1": "long" }, execution: { takerFeeBps: 10 }, publishEquity: true });
    const events = runAll(
      engine,
      secondly([
        [100, 100.02],
        [100.5, 100.52],
        [101, 101.02],
        [102, 102.02],
      ]),
    );
    const samples = events.filter((e) => SAMPLES.has(e.type));
    // bars close at 2 s (tick 2), 3 s (tick 3) and 4 s (tick 4): a strategy sample and a portfolio sample each
    expect(samples.map((e) => [e.type, e.id])).toEqual([
      ["equity.sampled", "s1:equity:2000"],
      ["portfolio.sampled", "portfolio:equity:2000"],
      ["equity.sampled", "s1:equity:3000"],
      ["portfolio.sampled", "portfolio:equity:3000"],
      ["equity.sampled", "s1:equity:4000"],
      ["portfolio.sampled", "portfolio:equity:4000"],
    ]);
    // at 4 s: 9 shares bought at 101.02 (fee 0.90918), marked at tick 4's mid 102.01
    // cash 100,000 - 909.18 - 0.90918 = 99,089.91082; unrealized 9 x (102.01 - 101.02) = 8.91
    expect(samples[4]!.data).toMatchObject({
      strategyId: "s1",
      startingCash: 100_000,
      cash: 99_089.91082,
      equity: 99_089.91082 + 9 * 102.01,
      unrealizedPnl: 8.91,
      fees: 0.90918,
      // 8.91 - 0.90918, exact: summed in micros
      netPnl: 8.00082,
      tsEvent: 4_000,
      tsInit: 4_000,
    });
    // one strategy: the portfolio is the same account summed
    expect(samples[5]!.data).toMatchObject({
      startingCash: 100_000,
      equity: 99_089.91082 + 9 * 102.01,
      netPnl: 8.00082,
      fees: 0.90918,
      tsEvent: 4_000,
    });
  });
});

describe("trading engine: paper execution", () => {
  it("fills a market buy against the next quote's ask with the fee, sized to the trade notional", () => {
    const engine = engineWith({ script: { "AAPL:1": "long" }, execution: { takerFeeBps: 10 } });
    const events = run(
      engine,
      secondly([
        [100, 100.02],
        [100.5, 100.52],
        [101, 101.02],
      ]),
    );
    // tick 2 closes bar 1 -> signal -> order; tick 3 fills at its ask
    expect(types(events)).toEqual([
      "signal.generated",
      "order.submitted",
      "order.accepted",
      "order.filled",
      "position.changed",
    ]);
    const [signal, submitted, , filled, position] = events;
    expect(signal!.data).toMatchObject({
      strategyId: "s1",
      symbol: "AAPL",
      direction: "long",
      price: 100.51,
      tsEvent: 2_000,
    });
    // 1,000 / 100.52 -> 9 shares
    expect(submitted!.data).toMatchObject({
      orderId: "s1:AAPL:1",
      side: "buy",
      quantity: 9,
      type: "market",
      timeInForce: "GTC",
      limitPrice: null,
      stopPrice: null,
      signalId: "s1:AAPL:signal:1",
    });
    // 9 x 101.02 = 909.18; 10 bp fee = 0.90918
    expect(filled!.data).toMatchObject({
      orderId: "s1:AAPL:1",
      side: "buy",
      quantity: 9,
      price: 101.02,
      fee: 0.90918,
      liquidity: "taker",
      fillNo: 1,
      cumulativeQuantity: 9,
      leavesQuantity: 0,
      averagePrice: 101.02,
      realizedPnl: 0,
      quoteSeq: 3,
      tsEvent: 3_000,
    });
    expect(filled!.id).toBe("s1:AAPL:1:filled:1");
    // marked at the filling quote's mid (101.01), not the price paid
    expect(position!.data).toMatchObject({
      strategyId: "s1",
      symbol: "AAPL",
      quantity: 9,
      averagePrice: 101.02,
      costBasis: 909.18,
      markPrice: 101.01,
      unrealizedPnl: -0.09,
    });
    expect(engine.portfolio("s1")).toMatchObject({ cash: 100_000 - 909.18 - 0.90918, fees: 0.90918 });
  });

  it("meets the first quote at or after its time plus the latency", () => {
    // sent at 2,000 with 1,500 ms of latency: the quote at 3,000 is too early, the one at 4,000 fills it
    const engine = engineWith({ script: { "AAPL:1": "long" }, execution: { latencyMs: 1_500 } });
    const ticks = secondly([
      [100, 100.02],
      [100, 100.02],
      [101, 101.02],
      [102, 102.02],
      [103, 103.02],
    ]);
    const filled = run(engine, ticks).find((e) => e.type === "order.filled");
    expect(filled?.data).toMatchObject({ price: 102.02, quoteSeq: 4 });
  });

  it("flips from long to short: exits at market, then enters the other way, both selling at the bid", () => {
    const engine = engineWith({ script: { "AAPL:1": "long", "AAPL:3": "short" }, execution: { takerFeeBps: 0 } });
    const events = run(
      engine,
      secondly([
        [100, 100.02],
        [100, 100.02],
        [100, 100.02],
        [99, 99.02],
        [98, 98.02],
      ]),
    );
    const fills = events.filter((e) => e.type === "order.filled").map((e) => e.data);
    // long 9 @ 100.02; then target -10 (1,000 / 99 at the bid): sell the 9, then sell 10, both @ 98
    expect(fills).toMatchObject([
      { orderId: "s1:AAPL:1", side: "buy", quantity: 9, price: 100.02 },
      { orderId: "s1:AAPL:2", side: "sell", quantity: 9, price: 98, realizedPnl: -18.18 },
      { orderId: "s1:AAPL:3", side: "sell", quantity: 10, price: 98, realizedPnl: 0 },
    ]);
    // the exit closed the round trip: 9 long from 100.02 to 98
    expect(events.find((e) => e.type === "trade.closed")!.data).toMatchObject({
      tradeId: "s1:AAPL:trade:1",
      side: "long",
      quantity: 9,
      entryPrice: 100.02,
      exitPrice: 98,
      grossPnl: -18.18,
      fees: 0,
      netPnl: -18.18,
    });
    expect(engine.portfolio("s1").positions[0]).toMatchObject({ quantity: -10, averagePrice: 98, costBasis: -980 });
  });

  it("marks open positions to the mid of every quote", () => {
    const engine = engineWith({ script: { "AAPL:1": "long" }, execution: { takerFeeBps: 0 } });
    run(
      engine,
      secondly([
        [100, 100.02],
        [100, 100.02],
        [100, 100.02],
        [110, 110.01],
      ]),
    );
    // 9 bought @ 100.02, marked at 110.005
    expect(engine.portfolio("s1")).toMatchObject({ unrealizedPnl: 9 * (110.005 - 100.02) });
    expect(engine.portfolio("s1").positions[0]!.markPrice).toBe(110.005);
  });

  it("ignores a duplicated quote and counts a gap in seq", () => {
    const engine = engineWith({ script: {} });
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    expect(engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02))).toEqual({ status: "duplicate" });
    engine.onQuote(quote("AAPL", 4, 2_000, 100, 100.02));
    expect(engine.stats).toEqual({ ticks: 2, duplicateTicks: 1, missingTicks: 2, rejectedTicks: 0 });
  });
});

describe("trading engine: risk", () => {
  it("rejects an order that would exceed the position limit, with the reason", () => {
    const engine = engineWith({ script: { "AAPL:1": "long" }, risk: { maxPositionNotional: 500 } });
    const events = run(
      engine,
      secondly([
        [100, 100.02],
        [100, 100.02],
        [100, 100.02],
      ]),
    );
    expect(types(events)).toEqual(["signal.generated", "order.rejected"]);
    expect(events[1]!.data).toMatchObject({ orderId: "s1:AAPL:1", reason: "max-position", quantity: 9 });
  });

  it("rejects the order that would take gross notional over the limit but allows reducing it", () => {
    const engine = engineWith({
      symbols: ["AAPL", "MSFT"],
      script: { "AAPL:1": "long", "MSFT:1": "long", "AAPL:3": "flat" },
      risk: { maxGrossNotional: 1_500 },
    });
    const ticks = [
      ...secondly(
        [
          [100, 100.02],
          [100, 100.02],
          [100, 100.02],
          [100, 100.02],
          [100, 100.02],
        ],
        "AAPL",
      ),
      ...secondly(
        [
          [400, 400.04],
          [400, 400.04],
        ],
        "MSFT",
        2_500,
      ),
    ].sort((a, b) => a.tsEvent - b.tsEvent);
    const events = run(engine, ticks);
    const outcome = events
      .filter((e) => e.type === "order.rejected" || e.type === "order.filled")
      .map((e) => [e.type, e.data.symbol]);
    // AAPL fills (~900); MSFT for 800 would make 1,700 > 1,500: rejected; AAPL flat reduces: filled
    expect(outcome).toEqual([
      ["order.filled", "AAPL"],
      ["order.rejected", "MSFT"],
      ["order.filled", "AAPL"],
    ]);
    expect(events.find((e) => e.type === "order.rejected")!.data).toMatchObject({ reason: "max-gross-notional" });
  });

  it("counts orders still in flight on other symbols against the gross limit", () => {
    // the AAPL buy waits two quotes, so it is still in flight when MSFT signals
    const engine = engineWith({
      symbols: ["AAPL", "MSFT"],
      script: { "AAPL:1": "long", "MSFT:1": "long" },
      risk: { maxGrossNotional: 1_500 },
      execution: { latencyMs: 2_000 },
    });
    const ticks = [
      ...secondly(
        [
          [100, 100.02],
          [100, 100.02],
          [100, 100.02],
        ],
        "AAPL",
      ),
      ...secondly(
        [
          [400, 400.04],
          [400, 400.04],
        ],
        "MSFT",
        2_500,
      ),
    ].sort((a, b) => a.tsEvent - b.tsEvent);
    const events = run(engine, ticks);
    expect(events.filter((e) => e.type === "order.filled")).toEqual([]);
    expect(events.find((e) => e.type === "order.rejected")?.data).toMatchObject({
      symbol: "MSFT",
      reason: "max-gross-notional",
    });
  });

  it("cancels every working order and flattens at market when a fill's mark triggers the halt", () => {
    const engine = new TradingEngine(
      {
        strategies: [
          {
            id: "s1",
            kind: "scripted",
            symbols: ["AAPL"],
            params: { script: { "AAPL:1": "long", "AAPL:2": "short" }, tradeNotional: 50_000 },
          },
        ],
        risk: { maxDrawdownPct: 0.01, maxPositionNotional: 1_000_000, maxGrossNotional: 1_000_000 },
        execution: { takerFeeBps: 0, latencyMs: 1_000 },
      },
      universe,
      registry,
    );
    const events = run(engine, [
      quote("AAPL", 1, 1_000, 100, 100.01, 10_000),
      quote("AAPL", 2, 2_000, 100, 100.01, 10_000), // bar 1: long 499 (50,000 / 100.01), working until 3,000
      quote("AAPL", 3, 3_000, 100, 100.01, 10_000), // the buy fills @ 100.01; bar 2: short: an exit and an entry, working until 4,000
      quote("AAPL", 4, 3_500, 90, 90.02, 10_000), // marked at 90.01: -4,990, a 4.99% drawdown: halt
      quote("AAPL", 5, 4_500, 95, 95.02, 10_000), // the flatten fills at the bid
    ]);
    expect(events.filter((e) => e.type === "risk.halted")).toHaveLength(1);
    expect(
      events
        .filter((e) => e.type === "order.canceled")
        .map((e) => [e.data.orderId, e.data.reason, e.data.canceledQuantity]),
    ).toEqual([
      ["s1:AAPL:2", "risk-halt", 499],
      // the entry sized at the bid: 50,000 / 100
      ["s1:AAPL:3", "risk-halt", 500],
    ]);
    const flatten = events.find((e) => e.type === "order.submitted" && e.data.signalId === "risk-flatten");
    expect(flatten!.data).toMatchObject({ orderId: "s1:AAPL:4", side: "sell", quantity: 499, type: "market" });
    expect(events.at(-1)).toMatchObject({ type: "trade.closed", data: { exitPrice: 95, grossPnl: -2_499.99 } });
    expect(engine.portfolio("s1").positions[0]!.quantity).toBe(0);
  });

  it("halts on a drawdown breach, flattens, rejects new orders until reset, then trades again", () => {
    const engine = new TradingEngine(
      {
        strategies: [
          {
            id: "s1",
            kind: "scripted",
            symbols: ["AAPL"],
            params: { script: { "AAPL:1": "long", "AAPL:5": "long", "AAPL:7": "long" }, tradeNotional: 50_000 },
          },
        ],
        startingCash: 100_000,
        risk: { maxDrawdownPct: 0.05 },
        execution: { takerFeeBps: 0 },
      },
      universe,
      registry,
    );
    const ticks = secondly(
      [
        [100, 100],
        [100, 100], // bar 1 closes: long 500 shares (50,000 / 100)
        [100, 100], // fill @ 100
        [95, 95], // -2,500: 2.5% drawdown
        [89, 89], // -5,500: 5.5% >= 5%: halt and flatten
        [89, 89], // flatten fills @ 89 bid
        [90, 90], // bar 5 closes: long -> rejected (halted)
      ],
      "AAPL",
      1_000,
      10_000,
    );
    const events = run(engine, ticks);
    expect(types(events)).toEqual([
      "signal.generated",
      "order.submitted",
      "order.accepted",
      "order.filled",
      "position.changed",
      "risk.halted",
      "order.submitted",
      "order.accepted",
      "order.filled",
      "position.changed",
      "trade.closed",
      "signal.generated",
      "order.rejected",
    ]);
    expect(events[5]!.data).toMatchObject({
      strategyId: "s1",
      reason: "max-drawdown",
      limit: 0.05,
      equity: 94_500,
      peakEquity: 100_000,
    });
    expect(events[5]!.data).toHaveProperty("drawdown", 0.055);
    expect(events[6]!.data).toMatchObject({ side: "sell", quantity: 500, signalId: "risk-flatten" });
    expect(events[8]!.data).toMatchObject({ price: 89, realizedPnl: -5_500 });
    expect(events[12]!.data).toMatchObject({ reason: "strategy-halted" });
    // below the peak from 4,000 (the 95 quote) to the last quote at 7,000
    expect(engine.portfolio("s1")).toMatchObject({ maxDrawdown: 0.055, maxDrawdownDurationMs: 3_000 });
    expect(engine.strategies()[0]!.status).toBe("halted");

    const reset = engine.resetRisk("s1", 8_000);
    expect(reset).toMatchObject([{ type: "risk.reset", data: { strategyId: "s1", equity: 94_500 } }]);
    expect(engine.strategies()[0]!.status).toBe("running");
    const after = run(engine, [quote("AAPL", 8, 8_000, 90, 90, 10_000), quote("AAPL", 9, 9_000, 90, 90, 10_000)]);
    expect(types(after)).toEqual([
      "signal.generated",
      "order.submitted",
      "order.accepted",
      "order.filled",
      "position.changed",
    ]);
  });
});

describe("trading engine: entries as the strategies' parameters say", () => {
  it("sends mean-reversion's entries as limits at the band and breakout's as stops at the channel, with their bracket exits", () => {
    const sim = new MarketSimulator({ instruments: universe.select(["AAPL"]), seed: 5, tickIntervalMs: 100 });
    const engine = new TradingEngine(
      {
        strategies: [
          {
            id: "mr",
            kind: "mean-reversion",
            symbols: ["AAPL"],
            params: { window: 10, entryZ: 1.5, takeProfitVol: 1 },
          },
          { id: "bo", kind: "breakout", symbols: ["AAPL"], params: { window: 10, exitWindow: 4, stopLossBps: 10 } },
          { id: "sma", kind: "sma-crossover", symbols: ["AAPL"], params: { fast: 3, slow: 8 } },
        ],
      },
      universe,
    );
    const events = run(
      engine,
      Array.from({ length: 20_000 }, () => sim.next()),
    );
    const signals = new Map(events.flatMap((e) => (e.type === "signal.generated" ? [[e.id, e.data]] : [])));
    const entries = events.flatMap((e) => (e.type === "order.submitted" && e.data.parentId === null ? [e.data] : []));
    const kinds = (id: string) => new Set(entries.filter((o) => o.strategyId === id).map((o) => o.type));
    // an exit is at market; an entry is what the parameters say
    expect(kinds("mr")).toEqual(new Set(["market", "limit"]));
    expect(kinds("bo")).toEqual(new Set(["market", "stop"]));
    expect(kinds("sma")).toEqual(new Set(["market"]));
    for (const o of entries.filter((x) => x.type === "limit")) {
      // a sell limit at the upper band, never below it on the grid; a buy at the lower band, never above
      const band = signals.get(o.signalId)!.indicators;
      const edge = band.mean! + (o.side === "sell" ? 1 : -1) * 1.5 * band.sigma!;
      expect(o.side === "sell" ? o.limitPrice! >= edge - 1e-6 : o.limitPrice! <= edge + 1e-6).toBe(true);
      expect(Math.abs(o.limitPrice! - edge)).toBeLessThan(0.01 + 1e-6);
    }
    for (const o of entries.filter((x) => x.type === "stop")) {
      // a channel of mids may sit on a half increment: a buy stop goes up to the grid, a sell stop down
      const channel = signals.get(o.signalId)!.indicators[o.side === "buy" ? "upper" : "lower"]!;
      expect(o.side === "buy" ? o.stopPrice! >= channel : o.stopPrice! <= channel).toBe(true);
      expect(Math.abs(o.stopPrice! - channel)).toBeLessThan(0.01);
    }
    // the exits follow the entries that filled: take-profits for mr, stop-losses for bo
    const exits = events.flatMap((e) => (e.type === "order.submitted" && e.data.parentId !== null ? [e.data] : []));
    expect(exits.some((o) => o.strategyId === "mr" && o.orderId.endsWith(":tp") && o.type === "limit")).toBe(true);
    expect(exits.some((o) => o.strategyId === "bo" && o.orderId.endsWith(":sl") && o.type === "stop")).toBe(true);
    expect(exits.every((o) => o.reduceOnly)).toBe(true);
  });
});

describe("trading engine: all strategies together", () => {
  it("sums the accounts in micros and measures drawdown from the combined peak since start, with its duration", () => {
    const engine = new TradingEngine(
      {
        strategies: [
          {
            id: "s1",
            kind: "scripted",
            symbols: ["AAPL"],
            params: { script: { "AAPL:1": "long" }, tradeNotional: 1_000 },
          },
          { id: "s2", kind: "scripted", symbols: ["AAPL"], params: {} },
        ],
        execution: { takerFeeBps: 0 },
      },
      universe,
      registry,
    );
    run(
      engine,
      secondly([
        [100, 100.02], // 1,000
        [100, 100.02], // 2,000: bar 1 closes, s1 signals; both at 200,000: the peak
        [100, 100.02], // 3,000: s1 buys 9 @ 100.02, marked at 100.01: 199,999.91
        [90, 90.02], // 4,000: marked at 90.01: 199,909.91, the trough, 2,000 ms below the peak
        [110, 110.02], // 5,000: marked at 110.01: 200,089.91, a new peak
        [109, 109.02], // 6,000: 200,080.91: below it again, for 1,000 ms
      ]),
    );
    const p = engine.combinedPortfolio();
    expect(p).toMatchObject({
      startingCash: 200_000,
      equity: 200_080.91,
      netPnl: 80.91,
      unrealizedPnl: 80.91,
      fees: 0,
      // 90.09 below 200,000
      maxDrawdown: 90.09 / 200_000,
      maxDrawdownDurationMs: 2_000,
    });
    expect(p.drawdown).toBeCloseTo(9 / 200_089.91, 12);
    expect(p.strategies.map((s) => [s.strategyId, s.equity])).toEqual([
      ["s1", 100_080.91],
      ["s2", 100_000],
    ]);
    expect(p.equityCurve.map((e) => [e.ts, e.equity])).toEqual([
      [2_000, 200_000],
      [3_000, 199_999.91],
      [4_000, 199_909.91],
      [5_000, 200_089.91],
      [6_000, 200_080.91],
    ]);
  });
});

describe("trading engine: state", () => {
  const config: EngineConfigInput = {
    strategies: [
      { id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 3, slow: 8 } },
      { id: "mr", kind: "mean-reversion", symbols: ["BTC-USD", "EUR-USD"], params: { window: 10 } },
      { id: "bo", kind: "breakout", symbols: ["AAPL", "EUR-USD"], params: { window: 10, exitWindow: 4 } },
    ],
    execution: { latencyMs: 300 },
    publishBars: ["1s", "1m"],
  };
  const sim = new MarketSimulator({
    instruments: universe.select(["AAPL", "BTC-USD", "EUR-USD"]),
    seed: 11,
    tickIntervalMs: 250,
  });
  const ticks = Array.from({ length: 6_000 }, () => sim.next());

  it("produces the same events when stopped at any point, snapshotted through JSON, and restored", () => {
    const reference = new TradingEngine(config, universe);
    const straight = run(reference, ticks);
    expect(straight.filter((e) => e.type === "order.filled").length).toBeGreaterThan(20);
    for (const cut of [1, 777, 2_345, 5_999]) {
      const first = new TradingEngine(config, universe);
      const before = run(first, ticks.slice(0, cut));
      const second = new TradingEngine(config, universe);
      second.restore(JSON.parse(JSON.stringify(first.snapshot())));
      const after = run(second, ticks.slice(cut));
      expect([...before, ...after]).toEqual(straight);
      for (const id of ["sma", "mr", "bo"]) expect(second.portfolio(id)).toEqual(reference.portfolio(id));
    }
  });

  it("restores from a version-2 snapshot only strategies whose configuration is unchanged, dropping the others' orders in flight", () => {
    // stop where mean-reversion has an order in flight: restoring it into an engine without mr must drop it
    const before = new TradingEngine(config, universe);
    let cut = 0;
    const hasMrInFlight = () =>
      Object.values(before.snapshot().symbols).some((s) => s.orders.some((o) => o.strategyId === "mr"));
    while (cut < 1_000 || !hasMrInFlight()) run(before, [ticks[cut++]!]);
    // as a worker from before commands wrote it: the configuration then named the strategies
    const snapshot = JSON.parse(
      JSON.stringify({ ...before.snapshot(), version: 2, instances: undefined }),
    ) as ReturnType<TradingEngine["snapshot"]>;
    const changed: EngineConfigInput = {
      ...config,
      strategies: [
        { id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 4, slow: 8 } }, // parameters changed
        { id: "bo", kind: "breakout", symbols: ["AAPL", "EUR-USD"], params: { window: 10, exitWindow: 4 } }, // unchanged
        { id: "new", kind: "mean-reversion", symbols: ["AAPL"], params: {} }, // mr removed, a new one added
      ],
    };
    const after = new TradingEngine(changed, universe);
    expect(after.restore(snapshot).sort()).toEqual(["new", "sma"]);
    expect(after.portfolio("bo")).toEqual(before.portfolio("bo"));
    expect(after.portfolio("sma")).toMatchObject({ equity: 100_000, closingFills: 0 });
    // no order of a strategy that is gone or restarted survives: the next quotes run cleanly
    expect(() => run(after, ticks.slice(cut))).not.toThrow();
  });

  it("emits bar.closed for every symbol and configured interval, with deterministic ids", () => {
    const bars = run(new TradingEngine(config, universe), ticks.slice(0, 1_500)).filter((e) => e.type === "bar.closed");
    const keys = new Set(bars.map((b) => `${b.data.symbol}:${b.data.interval}`));
    expect(keys).toEqual(new Set(["AAPL:1s", "BTC-USD:1s", "EUR-USD:1s", "AAPL:1m", "BTC-USD:1m", "EUR-USD:1m"]));
    expect(bars[0]!.id).toBe(`${bars[0]!.data.symbol}:1s:${bars[0]!.data.start}`);
  });

  it("rejects an invalid configuration with a message naming the problem", () => {
    expect(() => new TradingEngine({ strategies: [] }, universe)).toThrow(/strategies/);
    expect(() => new TradingEngine({ strategies: [{ id: "x", kind: "nope", symbols: ["AAPL"] }] }, universe)).toThrow(
      /unknown strategy "nope"/,
    );
    expect(
      () => new TradingEngine({ strategies: [{ id: "x", kind: "breakout", symbols: ["ZZZ"] }] }, universe),
    ).toThrow(/unknown symbol "ZZZ"/);
    expect(
      () =>
        new TradingEngine(
          {
            strategies: [
              { id: "x", kind: "breakout", symbols: ["AAPL"] },
              { id: "x", kind: "breakout", symbols: ["AAPL"] },
            ],
          },
          universe,
        ),
    ).toThrow(/used twice/);
  });
});
