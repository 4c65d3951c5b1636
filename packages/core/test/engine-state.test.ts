import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BaseParamsSchema,
  MarketSimulator,
  STRATEGIES,
  TickflowError,
  TradingEngine,
  Universe,
  type EngineConfigInput,
  type EngineEvent,
  type EngineSnapshot,
  type QuoteTick,
  type Strategy,
  type StrategyContext,
  type StrategyDefinition,
} from "../src";
import { quote } from "./helpers";

const universe = new Universe();

function run(engine: TradingEngine, ticks: readonly QuoteTick[]): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const t of ticks) {
    const outcome = engine.onQuote(t);
    if (outcome.status === "applied") events.push(...outcome.events);
  }
  return events;
}

describe("engine state: the version-1 snapshots committed Kafka state holds", () => {
  // the configuration and stream the fixture was written with (see its "about")
  const config: EngineConfigInput = {
    strategies: [
      { id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 2, slow: 4 } },
      {
        id: "mr",
        kind: "mean-reversion",
        symbols: ["BTC-USD", "EUR-USD"],
        params: { window: 5, entryZ: 1.2, exitZ: 0.2 },
      },
    ],
    publishBars: ["1s"],
    equityCurveLimit: 12,
  };
  const sim = new MarketSimulator({
    instruments: universe.select(["AAPL", "BTC-USD", "EUR-USD"]),
    seed: 7,
    tickIntervalMs: 250,
  });
  const ticks = Array.from({ length: 400 }, () => sim.next());
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/engine-snapshot-v1.json", import.meta.url), "utf8")) as {
    cut: number;
    snapshot: EngineSnapshot;
  };

  it("restores a version-1 snapshot's quote guard memory and bars, and restarts every strategy", () => {
    // Prepare: the fixture holds market orders in flight and open positions (the old model's)
    const saved = fixture.snapshot as unknown as { symbols: Record<string, { pending: unknown[]; lastSeq: number }> };
    expect(Object.values(saved.symbols).flatMap((s) => s.pending)).not.toHaveLength(0);
    // Act
    const restored = new TradingEngine(config, universe);
    const restarted = restored.restore(fixture.snapshot);
    // Assess: the accounts start again (they cannot say where their round trips began), the market state carries on
    expect(restarted).toEqual(["sma", "mr"]);
    const now = restored.snapshot();
    const fresh = new TradingEngine(config, universe).snapshot();
    expect(now.version).toBe(3);
    expect(now.strategies).toStrictEqual(fresh.strategies);
    for (const [symbol, entry] of Object.entries(now.symbols)) {
      expect(entry.lastSeq).toBe(saved.symbols[symbol]!.lastSeq);
      expect(entry.orders).toEqual([]);
      expect(entry).not.toHaveProperty("pending");
    }
    // the next quote of each symbol is applied, not taken for a duplicate or a gap
    const next = ticks.slice(fixture.cut, fixture.cut + 20).map((t) => restored.onQuote(t).status);
    expect(next.every((status) => status === "applied")).toBe(true);
  });

  it("writes version 3 and refuses version 4", () => {
    const engine = new TradingEngine(config, universe);
    run(engine, ticks.slice(0, fixture.cut));
    expect(engine.snapshot().version).toBe(3);
    const snapshot = { ...engine.snapshot(), version: 4 } as unknown as EngineSnapshot;
    expect(() => engine.restore(snapshot)).toThrow(/unsupported engine snapshot version 4/);
  });
});

/** The snapshot as a worker before commands wrote it: no instances, clock, command memory or pause. */
function asVersion2(snapshot: EngineSnapshot): EngineSnapshot {
  const { instances: _i, clock: _c, commands: _m, ...rest } = structuredClone(snapshot);
  for (const entry of Object.values(rest.strategies)) delete (entry as { paused?: boolean }).paused;
  return { ...rest, version: 2 } as unknown as EngineSnapshot;
}

describe("engine state: one object, copied by snapshot and replaced by restore", () => {
  const config: EngineConfigInput = {
    strategies: [
      {
        id: "sma",
        kind: "sma-crossover",
        symbols: ["AAPL", "BTC-USD"],
        params: { fast: 2, slow: 4, tradeNotional: 40_000 },
      },
      {
        id: "mr",
        kind: "mean-reversion",
        symbols: ["BTC-USD", "EUR-USD"],
        params: { window: 5, entryZ: 1.2, exitZ: 0.2, tradeNotional: 40_000, takeProfitVol: 1.5, stopLossVol: 1.5 },
      },
      {
        id: "bo",
        kind: "breakout",
        symbols: ["AAPL", "EUR-USD"],
        params: { window: 4, exitWindow: 2, tradeNotional: 40_000, stopLossBps: 5 },
      },
    ],
    execution: { latencyMs: 250, fillOnTouchProbability: 0.5 },
    publishBars: ["1s"],
  };
  const sim = new MarketSimulator({
    instruments: universe.select(["AAPL", "BTC-USD", "EUR-USD"]),
    seed: 3,
    tickIntervalMs: 250,
  });
  const ticks = Array.from({ length: 1_200 }, () => sim.next());

  it("restores a snapshot taken through JSON into a fresh engine equal to the state, field for field", () => {
    // Prepare
    const engine = new TradingEngine(config, universe);
    run(engine, ticks.slice(0, 700));
    const snapshot = engine.snapshot();
    // Act
    const fresh = new TradingEngine(config, universe);
    fresh.restore(JSON.parse(JSON.stringify(snapshot)) as EngineSnapshot);
    // Assess: plain JSON (nothing a round trip drops or changes), and all of it restored
    expect(JSON.parse(JSON.stringify(snapshot))).toStrictEqual(snapshot);
    expect(fresh.snapshot()).toStrictEqual(snapshot);
    expect(fresh.stats).toStrictEqual(engine.stats);
  });

  it("shares nothing with a snapshot it took or restored: changing one does not change the other", () => {
    const engine = new TradingEngine(config, universe);
    run(engine, ticks.slice(0, 700));
    const taken = engine.snapshot();
    const copy = JSON.stringify(taken);
    run(engine, ticks.slice(700, 800));
    expect(JSON.stringify(taken)).toBe(copy);

    const restored = new TradingEngine(config, universe);
    restored.restore(taken);
    const before = JSON.stringify(restored.snapshot());
    taken.strategies.sma!.account.cash = 0;
    taken.symbols.AAPL!.lastSeq = 0;
    (taken.strategies.sma!.state as Record<string, unknown>).AAPL = null;
    expect(JSON.stringify(restored.snapshot())).toBe(before);
  });

  it("replaces everything on restore: an engine that has run on continues from a snapshot like a fresh one", () => {
    const source = new TradingEngine(config, universe);
    run(source, ticks.slice(0, 600));
    const snapshot = source.snapshot();
    const expected = run(source, ticks.slice(600));

    const busy = new TradingEngine(config, universe);
    run(busy, ticks.slice(0, 900));
    busy.restore(snapshot);
    expect(run(busy, ticks.slice(600))).toEqual(expected);
    expect(busy.snapshot()).toStrictEqual(source.snapshot());
  });

  it("runs a version-3 snapshot's own strategies: the configuration is the initial set only", () => {
    const without = new TradingEngine(
      { ...config, strategies: config.strategies.filter((s) => s.id !== "bo") },
      universe,
    );
    run(without, ticks.slice(0, 600));
    const busy = new TradingEngine(config, universe);
    run(busy, ticks.slice(0, 900));
    expect(busy.restore(without.snapshot())).toEqual([]);
    expect(busy.strategies().map((s) => s.id)).toEqual(["sma", "mr"]);
    expect(busy.snapshot()).toStrictEqual(without.snapshot());
  });

  it("starts a strategy a version-2 snapshot cannot restore from the configuration's initial state, even in an engine that has run", () => {
    // Prepare: a snapshot from before commands (version 2) without "bo", taken by an engine that ran only sma and mr
    const without = new TradingEngine(
      { ...config, strategies: config.strategies.filter((s) => s.id !== "bo") },
      universe,
    );
    run(without, ticks.slice(0, 600));
    const snapshot = asVersion2(without.snapshot());
    const busy = new TradingEngine(config, universe);
    run(busy, ticks.slice(0, 900));
    expect(busy.portfolio("bo").closingFills).toBeGreaterThan(0);
    // Act
    const restarted = busy.restore(snapshot);
    // Assess: bo is as a new engine has it; sma and mr carry on from the snapshot
    const fresh = new TradingEngine(config, universe);
    expect(restarted).toEqual(["bo"]);
    expect(busy.snapshot().strategies.bo).toStrictEqual(fresh.snapshot().strategies.bo);
    expect(busy.portfolio("sma")).toEqual(without.portfolio("sma"));
    expect(
      Object.values(busy.snapshot().symbols).flatMap((s) => s.orders.filter((o) => o.strategyId === "bo")),
    ).toEqual([]);
  });

  it("gives the same events stopped, snapshotted through JSON and restored at a random point of a random stream as uninterrupted", () => {
    const symbols = ["AAPL", "BTC-USD", "EUR-USD"];
    /** What a stream may do to a simulated tick: pass, repeat, vanish (a seq gap), arrive late for its bar, spike within the band, or leap beyond it. */
    const mutation = fc.constantFrom(
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "duplicate",
      "drop",
      "late",
      "spike",
      "leap",
    );
    const scenario = fc.record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      mutations: fc.array(mutation, { minLength: 100, maxLength: 1_200, size: "max" }),
      // [0, 1): it indexes the orders sent, and 1 would point past the last
      cut: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      /** Cut right after a quote that sent an order, so orders are in flight in the snapshot. */
      cutAfterOrder: fc.boolean(),
      latencyMs: fc.constantFrom(0, 250, 600),
      fillOnTouchProbability: fc.constantFrom(1, 0.5),
      maxDrawdownPct: fc.constantFrom(0.003, 0.02, 0.1),
      equityCurveLimit: fc.constantFrom(undefined, 3),
      /** Ticks after which every halted strategy is reset (as the worker does between batches). */
      resetEvery: fc.integer({ min: 10, max: 200 }),
    });
    let halts = 0;
    let fills = 0;
    let inFlight = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const engineConfig: EngineConfigInput = {
          ...config,
          execution: { latencyMs: s.latencyMs, fillOnTouchProbability: s.fillOnTouchProbability },
          risk: { maxDrawdownPct: s.maxDrawdownPct },
          equityCurveLimit: s.equityCurveLimit,
        };
        const stream = streamOf(s.seed, s.mutations, symbols);
        const sentOrders: number[] = [];
        const feed = (engine: TradingEngine, from: number, to: number): EngineEvent[] => {
          const events: EngineEvent[] = [];
          for (let i = from; i < to; i++) {
            const outcome = engine.onQuote(stream[i]!);
            if (outcome.status === "applied") {
              events.push(...outcome.events);
              if (outcome.events.some((e) => e.type === "order.submitted")) sentOrders.push(i + 1);
            }
            if ((i + 1) % s.resetEvery === 0)
              for (const { id } of engine.strategies()) events.push(...engine.resetRisk(id, stream[i]!.tsEvent));
          }
          return events;
        };
        const straight = new TradingEngine(engineConfig, universe);
        const expected = feed(straight, 0, stream.length);
        const cut =
          s.cutAfterOrder && sentOrders.length > 0
            ? sentOrders[Math.floor(s.cut * sentOrders.length)]!
            : Math.floor(s.cut * stream.length);
        const first = new TradingEngine(engineConfig, universe);
        const before = feed(first, 0, cut);
        const snapshot = first.snapshot();
        if (Object.values(snapshot.symbols).some((x) => x.orders.length > 0)) inFlight += 1;
        const second = new TradingEngine(engineConfig, universe);
        expect(second.restore(JSON.parse(JSON.stringify(snapshot)) as EngineSnapshot)).toEqual([]);
        const after = feed(second, cut, stream.length);
        expect([...before, ...after]).toEqual(expected);
        expect(second.snapshot()).toStrictEqual(straight.snapshot());
        halts += expected.filter((e) => e.type === "risk.halted").length;
        fills += expected.filter((e) => e.type === "order.filled").length;
      }),
      { numRuns: 40 },
    );
    // the streams reach fills and halts, and snapshots with orders in flight
    expect(fills).toBeGreaterThan(500);
    expect(halts).toBeGreaterThan(20);
    expect(inFlight).toBeGreaterThan(5);
  });

  /** Simulated ticks with each one passed, repeated, dropped or moved as its mutation says. */
  function streamOf(seed: number, mutations: readonly string[], symbols: string[]): QuoteTick[] {
    const simulator = new MarketSimulator({ instruments: universe.select(symbols), seed, tickIntervalMs: 250 });
    const out: QuoteTick[] = [];
    for (const m of mutations) {
      const tick = simulator.next();
      if (m === "drop") continue;
      if (m === "late") {
        out.push({ ...tick, tsEvent: tick.tsEvent - 2_000 });
        continue;
      }
      if (m === "spike" || m === "leap") {
        const { priceScale } = universe.get(tick.symbol);
        const bidUnits = Math.round(tick.bid * priceScale * (m === "spike" ? 0.9 : 3));
        const spread = Math.round((tick.ask - tick.bid) * priceScale);
        out.push({ ...tick, bid: bidUnits / priceScale, ask: (bidUnits + spread) / priceScale });
        continue;
      }
      out.push(tick);
      if (m === "duplicate") out.push(tick);
    }
    return out;
  }
});

describe("engine: no per-call state outside the call", () => {
  /** Keeps the context it was started with and signals through it when the test says. */
  let kept: StrategyContext | null = null;
  const keeper: StrategyDefinition = {
    kind: "keeper",
    description: "keeps its context, for tests",
    params: BaseParamsSchema.extend({ signalOnStart: z.boolean().default(false) }),
    warmupBars: () => 0,
    create(params): Strategy<null> {
      return {
        interval: "1s",
        state: null,
        onStart(ctx) {
          kept = ctx;
          if ((params as { signalOnStart: boolean }).signalOnStart)
            ctx.signal({ symbol: "AAPL", direction: "long", reason: "on start", indicators: {} });
        },
        onQuote() {},
        onBar(bar, ctx) {
          ctx.signal({ symbol: bar.symbol, direction: "long", reason: "bar", indicators: {} });
        },
        onFill() {},
      };
    },
  };
  const registry = new Map([...STRATEGIES, ["keeper", keeper]]);
  const engineWith = (params: Record<string, unknown> = {}) =>
    new TradingEngine({ strategies: [{ id: "k", kind: "keeper", symbols: ["AAPL"], params }] }, universe, registry);

  it("refuses a signal from outside any call into the strategy, after quotes as before them", () => {
    const engine = engineWith();
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    // a bar closes: the signal inside the call goes through
    const outcome = engine.onQuote(quote("AAPL", 2, 2_000, 100, 100.02));
    expect(outcome.status === "applied" && outcome.events.map((e) => e.type)).toEqual([
      "signal.generated",
      "order.submitted",
      "order.accepted",
    ]);
    expect(() => kept!.signal({ symbol: "AAPL", direction: "flat", reason: "late", indicators: {} })).toThrow(
      TickflowError,
    );
    expect(() => kept!.signal({ symbol: "AAPL", direction: "flat", reason: "late", indicators: {} })).toThrow(
      /signalled outside a quote/,
    );
  });

  it("refuses a signal from onStart", () => {
    expect(() => engineWith({ signalOnStart: true })).toThrow(/signalled outside a quote/);
  });
});
