import { describe, expect, it } from "vitest";
import {
  defineInstrument,
  MarketSimulator,
  Prng,
  QuoteTickSchema,
  toPriceUnits,
  Universe,
  type QuoteTick,
} from "../src";

const universe = new Universe();

function take(sim: MarketSimulator, n: number): QuoteTick[] {
  return Array.from({ length: n }, () => sim.next());
}

describe("seeded PRNG", () => {
  it("repeats the same sequence for the same seed and differs for another", () => {
    const a = new Prng("42");
    const b = new Prng("42");
    const c = new Prng("43");
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it("resumes exactly from a snapshot, including a pending normal", () => {
    const prng = new Prng("snap");
    prng.nextNormal(); // leaves a spare normal behind
    const copy = Prng.restore(prng.snapshot());
    expect(Array.from({ length: 4 }, () => copy.nextNormal())).toEqual(
      Array.from({ length: 4 }, () => prng.nextNormal()),
    );
  });

  it("draws standard normals with mean 0 and variance 1", () => {
    const prng = new Prng("normals");
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = prng.nextNormal();
      sum += z;
      sq += z * z;
    }
    const mean = sum / n;
    // 4 standard errors: 4/sqrt(n) for the mean, 4*sqrt(2/n) for the variance
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});

describe("market simulator", () => {
  const instruments = universe.select(["AAPL", "BTC-USD", "EUR-USD"]);

  it("gives the same ticks, byte for byte, for the same seed", () => {
    const a = JSON.stringify(take(new MarketSimulator({ instruments, seed: 42 }), 3_000));
    const b = JSON.stringify(take(new MarketSimulator({ instruments, seed: 42 }), 3_000));
    const c = JSON.stringify(take(new MarketSimulator({ instruments, seed: 7 }), 3_000));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("gives a symbol the same path whatever other symbols run beside it", () => {
    const alone = take(new MarketSimulator({ instruments: universe.select(["AAPL"]), seed: 1 }), 100);
    const mixed = take(new MarketSimulator({ instruments: universe.select(["BTC-USD", "AAPL"]), seed: 1 }), 200).filter(
      (t) => t.symbol === "AAPL",
    );
    expect(mixed).toEqual(alone);
  });

  it("emits valid quotes on the price grid, seq strictly increasing per symbol without gaps", () => {
    const ticks = take(new MarketSimulator({ instruments, seed: 3, tickIntervalMs: 50 }), 9_000);
    const lastSeq = new Map<string, number>();
    const lastTs = new Map<string, number>();
    for (const tick of ticks) {
      expect(QuoteTickSchema.safeParse(tick).success).toBe(true);
      const inst = universe.get(tick.symbol);
      for (const price of [tick.bid, tick.ask]) {
        expect(toPriceUnits(price, inst) % inst.priceIncrementUnits).toBe(0);
        expect(Math.abs(price * inst.priceScale - toPriceUnits(price, inst))).toBeLessThan(1e-6);
      }
      expect(Number.isInteger(Math.round(tick.bidSize / inst.sizeIncrement))).toBe(true);
      expect(tick.seq).toBe((lastSeq.get(tick.symbol) ?? 0) + 1);
      expect(tick.tsEvent - (lastTs.get(tick.symbol) ?? tick.tsEvent - 50)).toBe(50);
      lastSeq.set(tick.symbol, tick.seq);
      lastTs.set(tick.symbol, tick.tsEvent);
    }
  });

  it("continues a symbol's path exactly after snapshot and resume", () => {
    const sim = new MarketSimulator({ instruments, seed: 9 });
    take(sim, 999);
    const saved = sim.snapshot();
    const expected = [sim.quoteAt("AAPL", 10_000_000), sim.quoteAt("BTC-USD", 10_000_050)];
    const resumed = new MarketSimulator({ instruments, seed: 9 });
    saved.forEach((s) => resumed.resume(s));
    expect([resumed.quoteAt("AAPL", 10_000_000), resumed.quoteAt("BTC-USD", 10_000_050)]).toEqual(expected);
  });

  it("takes the caller's clock in live use and diffuses over the elapsed time", () => {
    const sim = new MarketSimulator({ instruments, seed: 5, startTime: 1_000 });
    const tick = sim.quoteAt("EUR-USD", 1_250, 1_260);
    expect(tick).toMatchObject({ symbol: "EUR-USD", seq: 1, tsEvent: 1_250, tsInit: 1_260 });
    expect(() => sim.quoteAt("ZZZ", 2_000)).toThrow(/not simulated/);
  });

  it("matches the configured drift and volatility of log returns over 100,000 steps", () => {
    // A fine price grid and hourly steps keep rounding to the increment negligible against the
    // diffusion, so the tick mids show the GBM itself.
    const spec = {
      ...universe.get("AAPL"),
      symbol: "TEST",
      pricePrecision: 6,
      priceIncrement: 0.000001,
      spreadBps: 0,
      startPrice: 100,
      drift: 0.08,
      volatility: 0.3,
    };
    const instrument = defineInstrument(spec);
    const stepMs = 3_600_000;
    const sim = new MarketSimulator({ instruments: [instrument], seed: "stats", tickIntervalMs: stepMs });
    const n = 100_000;
    const dt = stepMs / (365.25 * 24 * 3600 * 1000);
    let previous = Math.log(100);
    const returns = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t = sim.next();
      const logMid = Math.log((t.bid + t.ask) / 2);
      returns[i] = logMid - previous;
      previous = logMid;
    }
    let mean = 0;
    for (const r of returns) mean += r;
    mean /= n;
    let variance = 0;
    for (const r of returns) variance += (r - mean) ** 2;
    variance /= n - 1;

    const expectedVariance = 0.3 ** 2 * dt;
    const expectedMean = (0.08 - 0.3 ** 2 / 2) * dt;
    // Tolerance: 4 standard errors. SE(mean) = sigma*sqrt(dt)/sqrt(n); SE(var) = var*sqrt(2/(n-1)).
    expect(Math.abs(mean - expectedMean)).toBeLessThan(4 * Math.sqrt(expectedVariance / n));
    expect(Math.abs(variance - expectedVariance)).toBeLessThan(4 * expectedVariance * Math.sqrt(2 / (n - 1)));
    // annualised, the estimates land within a few percent of the configuration
    expect(Math.sqrt(variance / dt)).toBeCloseTo(0.3, 2);
  });

  it("adds jumps when configured: fatter tails than pure diffusion", () => {
    const stepMs = 60_000;
    const run = (jumps?: { intensityPerYear: number; meanLog: number; stdLog: number }) => {
      const sim = new MarketSimulator({
        instruments: universe.select(["BTC-USD"]),
        seed: "jumps",
        tickIntervalMs: stepMs,
        ...(jumps ? { jumps } : {}),
      });
      let big = 0;
      let prev = Math.log(65_000);
      for (let i = 0; i < 50_000; i++) {
        const t = sim.next();
        const m = Math.log((t.bid + t.ask) / 2);
        if (Math.abs(m - prev) > 0.02) big += 1;
        prev = m;
      }
      return big;
    };
    expect(run()).toBe(0);
    expect(run({ intensityPerYear: 5_000, meanLog: 0, stdLog: 0.05 })).toBeGreaterThan(50);
  });
});
