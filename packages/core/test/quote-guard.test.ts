import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EVENT_SCHEMAS,
  MAX_SIZE,
  QuoteTickSchema,
  TradingEngine,
  Universe,
  type EngineConfigInput,
  type QuoteOutcome,
  type QuoteTick,
} from "../src";
import { quote } from "./helpers";

const universe = new Universe();

function engineOn(symbols: string[], extra: Partial<EngineConfigInput> = {}) {
  return new TradingEngine(
    {
      strategies: [{ id: "sma", kind: "sma-crossover", symbols, params: { fast: 2, slow: 3, interval: "1s" } }],
      ...extra,
    },
    universe,
  );
}

const statusOf = (o: QuoteOutcome) => (o.status === "rejected" ? `rejected:${o.reason}` : o.status);

describe("quote guard: what a quote must be before it touches the engine", () => {
  it("refuses a mid beyond the price band of the last accepted one, and leaves the portfolio alone", () => {
    // Prepare: a position, so a mark at an absurd mid would move equity
    const engine = engineOn(["TSLA"], { execution: { takerFeeBps: 0 } });
    for (let i = 1; i <= 8; i++) engine.onQuote(quote("TSLA", i, i * 1_000, 250 + i, 250.02 + i));
    const before = engine.portfolio("sma");
    // Act: two quotes at ten times the market, on the grid, seq in order
    const a = engine.onQuote(quote("TSLA", 9, 9_000, 2_580, 2_580.04));
    const b = engine.onQuote(quote("TSLA", 10, 9_500, 2_581, 2_581.04));
    // Assess: 2,580.02 against the last mid 258.01 is +900%, far beyond the 25% default band
    expect(a).toMatchObject({ status: "rejected", reason: "out-of-band" });
    expect(a.status === "rejected" && a.detail).toContain("900.0%");
    expect(statusOf(b)).toBe("rejected:out-of-band");
    expect(engine.portfolio("sma")).toEqual(before);
    expect(engine.stats).toMatchObject({ ticks: 8, rejectedTicks: 2 });
    // the genuine next tick is not a duplicate nor a gap beyond the bound: seq 9 and 10 were never applied
    expect(statusOf(engine.onQuote(quote("TSLA", 11, 10_000, 259, 259.02)))).toBe("applied");
    expect(engine.stats.missingTicks).toBe(2);
  });

  it("never flattens a halted strategy at a quote that failed the checks", () => {
    // Prepare: long 500 shares of AAPL at 100 with a 5% drawdown limit
    const engine = new TradingEngine(
      {
        strategies: [
          {
            id: "s",
            kind: "sma-crossover",
            symbols: ["AAPL"],
            params: { fast: 2, slow: 3, interval: "1s", tradeNotional: 50_000 },
          },
        ],
        risk: { maxDrawdownPct: 0.05 },
        execution: { takerFeeBps: 0 },
      },
      universe,
    );
    // falling, then crossing up: long at the 6th quote, filled at the 7th
    const ticks = [100, 99, 98, 97, 100, 103, 104, 104].map((p, i) =>
      quote("AAPL", i + 1, (i + 1) * 1_000, p, p + 0.02),
    );
    for (const t of ticks) engine.onQuote(t);
    const held = engine.portfolio("s").positions[0]!.quantity;
    expect(held).toBeGreaterThan(0);
    // Act: a quote at a tenth of the market would be a 90% drawdown, a halt and a flatten filled at 10.4
    const outcome = engine.onQuote(quote("AAPL", 9, 9_000, 10.4, 10.42));
    const next = engine.onQuote(quote("AAPL", 10, 10_000, 10.41, 10.43));
    // Assess
    expect(statusOf(outcome)).toBe("rejected:out-of-band");
    expect(statusOf(next)).toBe("rejected:out-of-band");
    expect(engine.portfolio("s")).toMatchObject({ halted: false });
    expect(engine.portfolio("s").positions[0]!.quantity).toBe(held);
  });

  it("re-anchors after a run of consistent out-of-band quotes, so a genuine gap does not freeze the symbol", () => {
    const engine = engineOn(["AAPL"], { quoteGuard: { reanchorAfter: 3 } });
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    // 150 is +50%: refused twice, taken the third time in a row
    expect(statusOf(engine.onQuote(quote("AAPL", 2, 2_000, 150, 150.02)))).toBe("rejected:out-of-band");
    expect(statusOf(engine.onQuote(quote("AAPL", 3, 3_000, 151, 151.02)))).toBe("rejected:out-of-band");
    expect(statusOf(engine.onQuote(quote("AAPL", 4, 4_000, 150.5, 150.52)))).toBe("applied");
    expect(statusOf(engine.onQuote(quote("AAPL", 5, 5_000, 150.6, 150.62)))).toBe("applied");
  });

  it("starts the run again when an out-of-band quote is far from the previous one, or an in-band quote comes between", () => {
    const engine = engineOn(["AAPL"], { quoteGuard: { reanchorAfter: 2 } });
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    expect(statusOf(engine.onQuote(quote("AAPL", 2, 2_000, 150, 150.02)))).toBe("rejected:out-of-band");
    // 1,000 is not within 25% of 150: a new run of one
    expect(statusOf(engine.onQuote(quote("AAPL", 3, 3_000, 1_000, 1_000.02)))).toBe("rejected:out-of-band");
    // in band: accepted, and the run is over
    expect(statusOf(engine.onQuote(quote("AAPL", 4, 4_000, 101, 101.02)))).toBe("applied");
    expect(statusOf(engine.onQuote(quote("AAPL", 5, 5_000, 1_000, 1_000.02)))).toBe("rejected:out-of-band");
    expect(statusOf(engine.onQuote(quote("AAPL", 6, 6_000, 1_001, 1_001.02)))).toBe("applied");
  });

  it("takes the price checks per symbol from its overrides", () => {
    const engine = engineOn(["AAPL", "MSFT"], {
      quoteGuard: { priceBandPct: 0.1, symbols: { MSFT: { priceBandPct: 0.5 } } },
    });
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    engine.onQuote(quote("MSFT", 1, 1_000, 100, 100.02));
    expect(statusOf(engine.onQuote(quote("AAPL", 2, 2_000, 120, 120.02)))).toBe("rejected:out-of-band");
    expect(statusOf(engine.onQuote(quote("MSFT", 2, 2_000, 120, 120.02)))).toBe("applied");
  });

  it("refuses an abnormal spread: 100 bp of the mid by default", () => {
    const engine = engineOn(["AAPL"]);
    // 100 / 101 -> spread 1 / mid 100.5 = 99.5 bp: accepted; 100 / 101.02 -> 101.5 bp: refused
    expect(statusOf(engine.onQuote(quote("AAPL", 1, 1_000, 100, 101)))).toBe("applied");
    const wide = engine.onQuote(quote("AAPL", 2, 2_000, 100, 101.02));
    expect(wide).toMatchObject({ status: "rejected", reason: "abnormal-spread" });
    expect(wide.status === "rejected" && wide.detail).toContain("101.5 bp");
  });

  it("refuses a seq jump beyond the bound, so a genuine later tick is not a duplicate", () => {
    const engine = engineOn(["AAPL"], { quoteGuard: { maxSeqGap: 10 } });
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    expect(statusOf(engine.onQuote(quote("AAPL", 100_001, 2_000, 100, 100.02)))).toBe("rejected:seq-gap");
    // a gap of exactly 10 is within the bound and counted
    expect(statusOf(engine.onQuote(quote("AAPL", 12, 3_000, 100, 100.02)))).toBe("applied");
    expect(statusOf(engine.onQuote(quote("AAPL", 12, 3_000, 100, 100.02)))).toBe("duplicate");
    expect(engine.stats).toEqual({ ticks: 2, duplicateTicks: 1, missingTicks: 10, rejectedTicks: 1 });
  });

  it("refuses an event time from the future: after its own tsInit, or ahead of the consumer's clock", () => {
    const engine = engineOn(["AAPL"]);
    const tenYears = 10 * 365 * 86_400_000;
    const future = { ...quote("AAPL", 1, 1_000 + tenYears, 100, 100.02), tsInit: 1_000 };
    expect(statusOf(engine.onQuote(future))).toBe("rejected:clock-skew");
    // tsInit forged too: only the consumer's clock can tell
    const forged = quote("AAPL", 1, 1_000 + tenYears, 100, 100.02);
    expect(statusOf(engine.onQuote(forged, 1_000))).toBe("rejected:clock-skew");
    // within the 10 s default skew: accepted, and a replayed past quote is fine
    expect(statusOf(engine.onQuote(quote("AAPL", 1, 10_900, 100, 100.02), 1_000))).toBe("applied");
    expect(statusOf(engine.onQuote(quote("AAPL", 2, 500, 100, 100.02), 1_000_000))).toBe("applied");
  });

  it("refuses a symbol outside the universe and ignores one no strategy trades", () => {
    const engine = engineOn(["AAPL"]);
    expect(engine.onQuote(quote("ZZZZ", 1, 1_000, 100, 100.02))).toMatchObject({
      status: "rejected",
      reason: "unknown-symbol",
    });
    expect(engine.onQuote(quote("MSFT", 1, 1_000, 100, 100.02))).toEqual({ status: "ignored" });
    expect(engine.snapshot().symbols).not.toHaveProperty("ZZZZ");
  });

  it("refuses prices off the grid or beyond what exact money can mark", () => {
    const engine = engineOn(["AAPL", "EUR-USD"]);
    expect(statusOf(engine.onQuote(quote("AAPL", 1, 1_000, 100.001, 100.02)))).toBe("rejected:out-of-range");
    // 1e9 on EUR-USD's 5-decimal grid is 1e14 price units, beyond 1e11
    expect(statusOf(engine.onQuote(quote("EUR-USD", 1, 1_000, 999_999_999, 1_000_000_000)))).toBe(
      "rejected:out-of-range",
    );
  });

  it("keeps an out-of-band run through snapshot and restore", () => {
    const config = { quoteGuard: { reanchorAfter: 2 } };
    const engine = engineOn(["AAPL"], config);
    engine.onQuote(quote("AAPL", 1, 1_000, 100, 100.02));
    engine.onQuote(quote("AAPL", 2, 2_000, 150, 150.02));
    const restored = engineOn(["AAPL"], config);
    restored.restore(JSON.parse(JSON.stringify(engine.snapshot())));
    expect(statusOf(restored.onQuote(quote("AAPL", 3, 3_000, 150, 150.02)))).toBe("applied");
  });
});

describe("quote schema bounds: every number derived from a quote stays finite", () => {
  it("refuses sizes, prices and times that would overflow what the engine derives from them", () => {
    const base = quote("AAPL", 1, 1_000, 100, 100.02);
    expect(QuoteTickSchema.safeParse(base).success).toBe(true);
    for (const bad of [
      { bidSize: 1e308 },
      { askSize: MAX_SIZE * 2 },
      { bid: 1e300, ask: 2e300 },
      { tsEvent: 1e17 },
      { tsInit: -1 },
      { symbol: "X".repeat(100) },
    ]) {
      expect(QuoteTickSchema.safeParse({ ...base, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("never throws on any schema-valid quote stream, and every event it emits passes its schema", () => {
    const symbols = ["AAPL", "BTC-USD", "EUR-USD"];
    const engine = () =>
      new TradingEngine(
        {
          strategies: [
            { id: "sma", kind: "sma-crossover", symbols, params: { fast: 2, slow: 3, interval: "1s" } },
            { id: "mr", kind: "mean-reversion", symbols, params: { window: 3, interval: "1s" } },
            { id: "bo", kind: "breakout", symbols, params: { window: 3, exitWindow: 2, interval: "1s" } },
          ],
          publishBars: ["1s"],
        },
        universe,
      );
    // prices walk in relative steps (most inside the band, some far beyond), from any start on the grid
    const tick = fc.record({
      symbol: fc.constantFrom(...symbols, "NOPE"),
      startUnits: fc.oneof(fc.integer({ min: 100, max: 10_000_000 }), fc.integer({ min: 1, max: 1e11 })),
      move: fc.oneof(
        fc.double({ min: -0.05, max: 0.05, noNaN: true }),
        fc.double({ min: -0.99, max: 20, noNaN: true }),
      ),
      spread: fc.oneof(fc.double({ min: 0, max: 0.005, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })),
      size: fc.double({ min: 1e-9, max: MAX_SIZE, noNaN: true }),
      seqStep: fc.oneof(fc.constant(1), fc.integer({ min: -3, max: 2_000 })),
      dt: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: -5_000, max: 400_000 })),
    });
    const emitted = new Set<string>();
    fc.assert(
      fc.property(fc.array(tick, { minLength: 1, maxLength: 200, size: "max" }), (rows) => {
        const e = engine();
        const seq: Record<string, number> = {};
        const price: Record<string, number> = {};
        let ts = 1_700_000_000_000;
        for (const r of rows) {
          const scale = r.symbol === "EUR-USD" ? 1e5 : 100;
          seq[r.symbol] = Math.max(1, (seq[r.symbol] ?? 0) + r.seqStep);
          price[r.symbol] = Math.max(1, Math.round((price[r.symbol] ?? r.startUnits) * (1 + r.move)));
          ts = Math.max(0, ts + r.dt);
          const bidUnits = price[r.symbol]!;
          const t: QuoteTick = {
            symbol: r.symbol,
            bid: bidUnits / scale,
            ask: (bidUnits + Math.max(1, Math.round(bidUnits * r.spread))) / scale,
            bidSize: r.size,
            askSize: r.size,
            seq: seq[r.symbol]!,
            tsEvent: ts,
            tsInit: ts,
          };
          if (!QuoteTickSchema.safeParse(t).success) continue;
          const outcome = e.onQuote(t);
          if (outcome.status !== "applied") continue;
          for (const event of outcome.events) {
            emitted.add(event.type);
            expect(
              EVENT_SCHEMAS[event.type].data.safeParse(event.data).success,
              `${event.type} ${JSON.stringify(event.data)}`,
            ).toBe(true);
          }
        }
      }),
      // seeded: a failure names a stream that reproduces; the bound on time is for a loaded machine
      { numRuns: 200, seed: 20261202 },
    );
    // the generator reaches the engine's outputs, not only its guard
    expect([...emitted].sort()).toEqual(
      expect.arrayContaining(["bar.closed", "order.filled", "order.submitted", "position.changed", "signal.generated"]),
    );
  }, 60_000);
});
