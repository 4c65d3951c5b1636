import { describe, expect, it } from "vitest";
import {
  accountTotals,
  applyFill,
  closedTradeView,
  equity,
  feeMicros,
  fromMicros,
  markPosition,
  newAccount,
  notionalMicros,
  positionView,
  toMicros,
  Universe,
  updatePeak,
} from "../src";

const universe = new Universe();
const aapl = universe.get("AAPL");
const btc = universe.get("BTC-USD");

/** Books a fill at a decimal price with a 1 bp fee at `ts`. */
function book(account: ReturnType<typeof newAccount>, qty: number, price: number, ts = 0, instrument = aapl) {
  const priceUnits = Math.round(price * instrument.priceScale);
  const sizeUnits = Math.round(qty * instrument.sizeScale);
  const fee = feeMicros(notionalMicros(priceUnits, Math.abs(sizeUnits), instrument), 1);
  // marked at the fill price here; the tests mark explicitly where the mid matters
  return applyFill(account, instrument, sizeUnits, priceUnits, fee, priceUnits * 2, ts);
}

/** Books a fill as `book` does; returns the realized PnL in currency. */
function fill(account: ReturnType<typeof newAccount>, qty: number, price: number, instrument = aapl) {
  return fromMicros(book(account, qty, price, 0, instrument).realized);
}

function mark(account: ReturnType<typeof newAccount>, bid: number, ask: number, ts = 0, instrument = aapl) {
  markPosition(
    account,
    account.positions[instrument.symbol]!,
    instrument,
    Math.round(bid * instrument.priceScale) + Math.round(ask * instrument.priceScale),
  );
  updatePeak(account, ts);
}

describe("portfolio accounting (hand-computed)", () => {
  it("books an open, a mark, a partial close, a flip to short and a mark, to the micro", () => {
    const account = newAccount(toMicros(100_000));

    // buy 10 @ 100.00: notional 1,000.00, fee 1 bp = 0.10
    expect(fill(account, 10, 100)).toBe(0);
    expect(fromMicros(account.cash)).toBe(98_999.9);
    expect(positionView(account.positions.AAPL!, aapl)).toMatchObject({
      quantity: 10,
      averagePrice: 100,
      costBasis: 1_000,
      fees: 0.1,
    });

    // mark at mid 101.01: value 1,010.10, unrealized 10.10
    mark(account, 101, 101.02);
    expect(positionView(account.positions.AAPL!, aapl)).toMatchObject({ unrealizedPnl: 10.1, markPrice: 101.01 });
    expect(fromMicros(equity(account))).toBe(100_010);

    // sell 4 @ 102.00: releases 4/10 of the 1,000 basis (400), proceeds 408 -> realized +8; fee 0.0408
    expect(fill(account, -4, 102)).toBe(8);
    expect(positionView(account.positions.AAPL!, aapl)).toMatchObject({
      quantity: 6,
      averagePrice: 100,
      costBasis: 600,
      realizedPnl: 8,
    });
    expect(fromMicros(account.cash)).toBe(99_407.8592);

    // sell 10 @ 99.00: closes 6 (basis 600, proceeds 594 -> realized -6), opens 4 short at 99 (basis -396); fee 0.099
    expect(fill(account, -10, 99)).toBe(-6);
    expect(positionView(account.positions.AAPL!, aapl)).toMatchObject({
      quantity: -4,
      averagePrice: 99,
      costBasis: -396,
      realizedPnl: 2,
    });
    expect(fromMicros(account.cash)).toBe(100_397.7602);

    // mark the short at mid 98.00: value -392, unrealized +4
    mark(account, 97.99, 98.01);
    const totals = accountTotals(account);
    expect(fromMicros(totals.unrealized)).toBe(4);
    expect(fromMicros(totals.fees)).toBe(0.2398);
    // equity two ways: cash + marks, and start + realized + unrealized - fees
    expect(fromMicros(equity(account))).toBe(100_005.7602);
    expect(totals.equity).toBe(toMicros(100_000) + totals.realized + totals.unrealized - totals.fees);
    expect(account.closingFills).toBe(2);
    expect(account.winningFills).toBe(1);
  });

  it("releases cost basis pro rata with half-even rounding and conserves every micro", () => {
    const account = newAccount(toMicros(10_000));
    fill(account, 1, 10);
    fill(account, 1, 10.01);
    fill(account, 1, 10.01); // basis 30.02: a third of it is 10.0066666...
    const realized = [fill(account, -1, 10.02), fill(account, -1, 10.02), fill(account, -1, 10.02)];
    // releases 10.006667, then 10.006666 (10.0066665 rounds to even), then the remaining 10.006667
    expect(realized).toEqual([0.013333, 0.013334, 0.013333]);
    expect(realized.reduce((a, b) => a + b, 0)).toBeCloseTo(0.04, 9);
    expect(account.positions.AAPL).toMatchObject({ qty: 0, basis: 0, realized: 40_000 });
  });

  it("computes crypto notionals in fractional sizes exactly", () => {
    const account = newAccount(toMicros(100_000));
    fill(account, 0.1551, 64_444.81, btc);
    // 64,444.81 x 0.1551 = 9,995.390031
    expect(account.positions["BTC-USD"]!.basis).toBe(9_995_390_031);
    expect(positionView(account.positions["BTC-USD"]!, btc).averagePrice).toBe(64_444.81);
  });

  it("tracks the equity peak since start, the worst drawdown and the longest time below a peak", () => {
    const account = newAccount(toMicros(1_000));
    book(account, 5, 100, 1_000); // fee 0.05: 999.95, below the starting 1,000 from 1,000
    mark(account, 110, 110, 2_000); // +50 -> a new peak 1,049.95 at 2,000 (1,000 ms below the start's)
    mark(account, 90, 90, 3_000); // -50 from start -> 949.95
    mark(account, 100, 100, 7_000); // still below: 5,000 ms since the peak
    mark(account, 111, 111, 8_000); // a new peak: the fall lasted 5,000 ms
    mark(account, 109, 109, 9_000); // a new, shorter fall
    expect(fromMicros(account.peakEquity)).toBe(1_054.95);
    expect(account.peakTs).toBe(8_000);
    expect(account.maxDrawdown).toBeCloseTo(100 / 1_049.95, 12);
    expect(account.maxDrawdownMs).toBe(5_000);
  });

  it("follows a round trip from flat to flat: averages, fees with the closing share of a flip's, excursions", () => {
    const account = newAccount(toMicros(100_000));
    // buy 10 @ 100 (fee 0.10) at 1,000; marked at 99.50: open PnL -5, at 101.01: +10.10
    expect(book(account, 10, 100, 1_000).closed).toBeNull();
    mark(account, 99.49, 99.51, 1_500);
    mark(account, 101, 101.02, 2_000);
    // sell 4 @ 102 (realized +8, fee 0.0408), marked at 102: open PnL 8 + 6 x 2 = 20
    expect(book(account, -4, 102, 3_000).closed).toBeNull();
    // sell 10 @ 99: closes 6 (realized -6) and opens 4 short; the fee 0.099 splits 6:4, 0.0594 to the close
    const { closed } = book(account, -10, 99, 4_000);
    expect(closedTradeView(closed!, aapl, 4_000)).toEqual({
      symbol: "AAPL",
      side: "long",
      quantity: 10,
      entryPrice: 100,
      // (4 x 102 + 6 x 99) / 10
      exitPrice: 100.2,
      entryTs: 1_000,
      exitTs: 4_000,
      holdingMs: 3_000,
      grossPnl: 2,
      fees: 0.2002,
      netPnl: 1.7998,
      maxAdverseExcursion: -5,
      maxFavorableExcursion: 20,
    });
    // the rest opened the next round trip: short 4 @ 99 with the fee's other 0.0396
    expect(account.positions.AAPL!.trade).toMatchObject({
      side: -1,
      entryTs: 4_000,
      entryQty: 4,
      entryNotional: toMicros(396),
      fees: toMicros(0.0396),
    });
    // buy 4 @ 98 closes it: +4 gross, fees 0.0396 + 0.0392
    const last = closedTradeView(book(account, 4, 98, 6_000).closed!, aapl, 6_000);
    expect(last).toMatchObject({
      side: "short",
      quantity: 4,
      entryPrice: 99,
      exitPrice: 98,
      grossPnl: 4,
      fees: 0.0788,
    });
    expect(account.positions.AAPL!.trade).toBeNull();
  });
});
