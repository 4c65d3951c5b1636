import { describe, expect, it } from "vitest";
import {
  DEFAULT_UNIVERSE,
  defineInstrument,
  divRoundHalfEven,
  feeMicros,
  floorDiv,
  fromMicros,
  midValueMicros,
  mulDivRound,
  notionalMicros,
  toMicros,
  Universe,
} from "../src";

const universe = new Universe(DEFAULT_UNIVERSE);

describe("fixed-point money", () => {
  it("rounds half to even in both signs", () => {
    expect(divRoundHalfEven(5, 2)).toBe(2);
    expect(divRoundHalfEven(7, 2)).toBe(4);
    expect(divRoundHalfEven(-5, 2)).toBe(-2);
    expect(divRoundHalfEven(-7, 2)).toBe(-4);
    expect(divRoundHalfEven(10, 3)).toBe(3);
    expect(divRoundHalfEven(11, 3)).toBe(4);
  });

  it("multiplies and divides exactly beyond the range where doubles are exact", () => {
    // 2^53 + 1 is not representable as a double; BigInt keeps the answer exact
    const a = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER
    expect(mulDivRound(a, 3, 3)).toBe(a);
    expect(mulDivRound(a, 2, 4)).toBe(4_503_599_627_370_496); // .5 rounds to even
    expect(() => mulDivRound(a, 3, 1)).toThrow(/overflowed/);
  });

  it("floors exactly where float division would round up", () => {
    expect(floorDiv(9_007_199_254_740_990, 3)).toBe(3_002_399_751_580_330);
    expect(floorDiv(10, 3)).toBe(3);
    expect(floorDiv(9, 3)).toBe(3);
  });

  it("computes notionals in micros without float error", () => {
    const btc = universe.get("BTC-USD");
    // 65,000.01 USD x 0.0003 BTC = 19.500003 USD
    expect(notionalMicros(6_500_001, 3, btc)).toBe(19_500_003);
    const eur = universe.get("EUR-USD");
    // 1.08543 x 1,000 EUR = 1,085.43 USD
    expect(notionalMicros(108_543, 1_000, eur)).toBe(1_085_430_000);
    // 0.1 + 0.2 style drift cannot happen: ten 0.1 USD fills sum to exactly 1 USD
    const aapl = universe.get("AAPL");
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += notionalMicros(10, 1, aapl);
    expect(sum).toBe(toMicros(1));
  });

  it("values a position at a half-unit mid, rounding half to even", () => {
    const aapl = universe.get("AAPL");
    // mid of 100.00 and 100.01 is 100.005; 3 shares = 300.015 USD
    expect(midValueMicros(10_000 + 10_001, 3, aapl)).toBe(300_015_000);
    expect(midValueMicros(10_000 + 10_001, -3, aapl)).toBe(-300_015_000);
  });

  it("charges fees in basis points to a hundredth of a bp", () => {
    expect(feeMicros(toMicros(10_000), 1)).toBe(toMicros(1));
    expect(feeMicros(toMicros(10_000), 2.5)).toBe(toMicros(2.5));
    expect(feeMicros(toMicros(-10_000), 1)).toBe(toMicros(1));
    expect(feeMicros(toMicros(123.45), 0.01)).toBe(123); // 0.00012345 USD -> 123 micros (half-even)
    expect(fromMicros(toMicros(0.000001))).toBe(0.000001);
  });
});

describe("instruments", () => {
  it("spans equities, crypto and FX in the default universe", () => {
    expect(DEFAULT_UNIVERSE.length).toBeGreaterThanOrEqual(6);
    expect(new Set(DEFAULT_UNIVERSE.map((i) => i.assetClass))).toEqual(new Set(["equity", "crypto", "fx"]));
    for (const i of DEFAULT_UNIVERSE) {
      expect(i.pricePrecision + i.sizePrecision).toBeLessThanOrEqual(6);
      expect(i.priceIncrementUnits).toBeGreaterThanOrEqual(1);
    }
  });

  it("rejects increments off the precision grid and precisions too fine for exact money", () => {
    const base = DEFAULT_UNIVERSE[0]!;
    expect(() => defineInstrument({ ...base, priceIncrement: 0.005 })).toThrow(
      /priceIncrement 0.005 is not a multiple of 1\/100/,
    );
    expect(() => defineInstrument({ ...base, pricePrecision: 4, sizePrecision: 4 })).toThrow(/at most 6/);
  });

  it("names the valid symbols when one is unknown", () => {
    expect(() => universe.get("NOPE")).toThrow(/unknown symbol "NOPE"; valid symbols: AAPL, MSFT/);
  });
});
