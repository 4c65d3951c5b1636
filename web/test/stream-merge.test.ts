import { describe, expect, it } from "vitest";
import {
  mergeAccount,
  mergeBar,
  mergeCommandPage,
  mergeFill,
  mergeOpenOrders,
  mergeOrderFeed,
  mergePage,
  mergePortfolio,
  mergePosition,
  mergeQuote,
  midOf,
  nextFormingBar,
} from "../src/api/stream-merge";
import type { CommandRecord, Fill, OrderState, Signal } from "../src/api/types";
import { appliedCommand, bars, fills, orders, portfolio, quotes, signals, strategies, T0 } from "./fixtures";

describe("mergeQuote", () => {
  const tick = {
    symbol: "AAPL",
    bid: 190.2,
    ask: 190.24,
    bidSize: 100,
    askSize: 50,
    seq: 1_202,
    tsEvent: T0 + 60_100,
    tsInit: T0 + 60_101,
  };

  it("takes the tick's prices into its symbol's row, with the mid on the grid and the change from the open", () => {
    const next = mergeQuote(quotes, tick)!;
    // mid (190.20 + 190.24) / 2 = 190.22; open 189.50: change 0.72, 0.72 / 189.5 = 0.379947...%
    expect(next[0]).toMatchObject({ bid: 190.2, ask: 190.24, mid: 190.22, seq: 1_202, open: 189.5 });
    expect(next[0]!.change).toBeCloseTo(0.72, 10);
    expect(next[0]!.changePct).toBeCloseTo(0.379947, 5);
    expect(next.slice(1)).toEqual(quotes.slice(1));
  });

  it("changes nothing for a tick already applied or older", () => {
    const once = mergeQuote(quotes, tick)!;
    expect(mergeQuote(once, tick)).toBe(once);
    expect(mergeQuote(once, { ...tick, seq: 1_100, tsEvent: T0 })).toBe(once);
  });

  it("opens a new UTC day at its first tick, and asks for a refetch for a symbol the board lacks", () => {
    const nextDay = mergeQuote(quotes, { ...tick, tsEvent: T0 + 86_400_000 })!;
    expect(nextDay[0]).toMatchObject({ open: 190.22, change: 0, changePct: 0 });
    expect(mergeQuote(quotes, { ...tick, symbol: "BTC-USD" })).toBeUndefined();
  });

  it("computes the mid on the decimal grid", () => {
    expect(midOf(100, 100.02)).toBe(100.01);
    expect(midOf(1.08512, 1.08517)).toBe(1.085145);
  });
});

describe("mergeBar", () => {
  const closed = bars("AAPL", "1s", 3, 190);

  it("appends a new bar and drops the oldest past the limit", () => {
    const next = { ...closed[2]!, start: closed[2]!.start + 1_000, end: closed[2]!.end + 1_000 };
    expect(mergeBar(closed, next, 3).map((b) => b.start)).toEqual([T0 + 1_000, T0 + 2_000, T0 + 3_000]);
    expect(mergeBar(closed, next, 10)).toHaveLength(4);
  });

  it("keeps the list as it is for the same bar twice", () => {
    expect(mergeBar(closed, closed[1]!, 300)).toBe(closed);
  });
});

describe("feeds: newest first, no duplicate", () => {
  const signal: Signal = { ...signals[0]!, signalId: "sma-crossover:AAPL:9", tsEvent: T0 + 9_000 };

  it("puts a new signal first in the page and keeps its size", () => {
    const page = { items: signals, next: "abc" };
    const next = mergePage(page, signal, (s) => s.signalId, signals.length);
    expect(next.items.map((s) => s.signalId)).toEqual([
      signal.signalId,
      ...signals.slice(0, -1).map((s) => s.signalId),
    ]);
    expect(next.next).toBe("abc");
  });

  it("changes nothing when the same event id arrives twice", () => {
    const page = { items: signals, next: null };
    const once = mergePage(page, signal, (s) => s.signalId, 30);
    expect(mergePage(once, signal, (s) => s.signalId, 30)).toBe(once);
    expect(once.items.filter((s) => s.signalId === signal.signalId)).toHaveLength(1);
  });

  it("adds a fill of the chart's symbol and range once, first", () => {
    const third: Fill = { ...fills[0]!, orderId: "sma-crossover:6", fillNo: 1, tsEvent: T0 + 2_000 };
    const once = mergeFill(fills, third, "AAPL", T0);
    expect(once.map((f) => `${f.orderId}:${f.fillNo}`)).toEqual([
      "sma-crossover:6:1",
      "sma-crossover:3:2",
      "sma-crossover:3:1",
    ]);
    expect(mergeFill(once, third, "AAPL", T0)).toBe(once);
    // another symbol's, or one before the range: not this list's
    expect(mergeFill(fills, { ...third, symbol: "MSFT" }, "AAPL", T0)).toBe(fills);
    expect(mergeFill(fills, third, "AAPL", T0 + 5_000)).toBe(fills);
  });
});

describe("orders", () => {
  // one order's states as its events leave it (core's foldOrder): submitted, accepted, partly filled, canceled
  const s1: OrderState = {
    ...orders[0]!,
    orderId: "sma-crossover:6",
    symbol: "AAPL",
    side: "buy",
    timeInForce: "GTC",
    quantity: 10,
    limitPrice: 95,
    signalId: "manual",
    status: "submitted",
    reason: null,
    submittedAt: T0 + 6_000,
    updatedAt: T0 + 6_000,
  };
  const s2: OrderState = { ...s1, status: "working", updatedAt: T0 + 6_001 };
  const s3: OrderState = {
    ...s2,
    status: "partially-filled",
    filledQuantity: 4,
    averagePrice: 95,
    updatedAt: T0 + 6_500,
  };
  const s4: OrderState = { ...s3, status: "canceled", reason: "requested", updatedAt: T0 + 7_000 };

  it("puts a new order first in the feed, updates one in place, and ignores the same state twice", () => {
    const page = { items: orders, next: null };
    const withNew = mergeOrderFeed(page, s1, 30);
    expect(withNew.items.map((o) => o.orderId)).toEqual(["sma-crossover:6", ...orders.map((o) => o.orderId)]);
    const updated = mergeOrderFeed(withNew, s2, 30);
    expect(updated.items.map((o) => o.orderId)).toEqual(withNew.items.map((o) => o.orderId));
    expect(updated.items[0]!.status).toBe("working");
    expect(mergeOrderFeed(updated, { ...s2 }, 30)).toBe(updated);
  });

  it("keeps the open orders to working, triggered and partly filled ones, newest submitted first", () => {
    const open: OrderState["status"][] = ["working", "triggered", "partially-filled"];
    const older = { ...s2, orderId: "x:1", submittedAt: T0 + 1_000 };
    expect(mergeOpenOrders([older], s1, open)).toEqual([older]);
    const joined = mergeOpenOrders([older], s2, open);
    expect(joined.map((o) => o.orderId)).toEqual(["sma-crossover:6", "x:1"]);
    expect(mergeOpenOrders(joined, s3, open)[0]!.filledQuantity).toBe(4);
    expect(mergeOpenOrders(joined, s4, open).map((o) => o.orderId)).toEqual(["x:1"]);
  });
});

describe("commands", () => {
  const pending: CommandRecord = { ...appliedCommand, status: "pending", appliedAt: null, orderId: null };
  const applied = {
    commandId: pending.commandId,
    kind: pending.kind,
    strategyId: pending.strategyId,
    orderId: "sma-crossover:9",
    tsEvent: T0 + 9_000,
    tsInit: T0 + 8_990,
  };

  it("settles the command's row in the audit page, once", () => {
    const page = { items: [pending], next: null };
    const once = mergeCommandPage(page, "command.applied", applied)!;
    expect(once.items[0]).toMatchObject({
      status: "applied",
      orderId: "sma-crossover:9",
      appliedAt: T0 + 9_000,
      reason: null,
    });
    expect(mergeCommandPage(once, "command.applied", applied)).toBe(once);
    expect(
      mergeCommandPage(page, "command.rejected", { ...applied, reason: "unknown-order", detail: "no such order" })!
        .items[0],
    ).toMatchObject({
      status: "rejected",
      reason: "unknown-order",
      detail: "no such order",
    });
  });

  it("asks for a refetch when the page does not hold the command", () => {
    expect(mergeCommandPage({ items: [], next: null }, "command.applied", applied)).toBeUndefined();
  });
});

describe("accounts and positions", () => {
  const times = { tsEvent: T0 + 10_000, tsInit: T0 + 10_001 };

  it("sets a strategy's account from its sample, and halts it when the sample says so", () => {
    const sample = { ...strategies[0]!.portfolio, equity: 100_081.08, halted: true, ...times };
    const next = mergeAccount(strategies, sample)!;
    expect(next[0]!.portfolio).toEqual({ ...strategies[0]!.portfolio, equity: 100_081.08, halted: true });
    expect(next[0]!.status).toBe("halted");
    expect(next[1]).toBe(strategies[1]);
    expect(mergeAccount(strategies, { ...sample, strategyId: "breakout" })).toBeUndefined();
  });

  it("replaces the strategy's position in the symbol", () => {
    const change = {
      ...strategies[0]!.positions[0]!,
      strategyId: "sma-crossover",
      quantity: 0,
      costBasis: 0,
      ...times,
    };
    const next = mergePosition(strategies, change)!;
    expect(next[0]!.positions[0]).toEqual({ ...strategies[0]!.positions[0]!, quantity: 0, costBasis: 0 });
    expect(next[0]!.positions[1]).toBe(strategies[0]!.positions[1]);
  });

  it("adds a portfolio sample to the curve once, and takes its totals", () => {
    const last = portfolio.equityCurve.at(-1)!;
    const { strategies: _s, equityCurve: _c, ...totals } = portfolio;
    const data = { ...totals, equity: 200_100, drawdown: 0.001, tsEvent: last.ts + 1_000, tsInit: last.ts + 1_001 };
    const once = mergePortfolio(portfolio, { type: "portfolio.sampled", data })!;
    expect(once.equity).toBe(200_100);
    expect(once.equityCurve.at(-1)).toEqual({ ts: last.ts + 1_000, equity: 200_100, drawdown: 0.001 });
    expect(once.equityCurve).toHaveLength(portfolio.equityCurve.length + 1);
    expect(mergePortfolio(once, { type: "portfolio.sampled", data })).toBe(once);
  });
});

describe("nextFormingBar", () => {
  it("opens at the first mid of a bar after the last closed one, then tracks high, low and close", () => {
    // last closed 1s bar starts at T0: a quote at T0 + 1,200 is in the bar of T0 + 1,000
    const b1 = nextFormingBar(null, T0, 1_000, 100, T0 + 1_200)!;
    expect(b1).toEqual({ start: T0 + 1_000, open: 100, high: 100, low: 100, close: 100 });
    const b2 = nextFormingBar(b1, T0, 1_000, 101.5, T0 + 1_400)!;
    const b3 = nextFormingBar(b2, T0, 1_000, 99.25, T0 + 1_900)!;
    expect(b3).toEqual({ start: T0 + 1_000, open: 100, high: 101.5, low: 99.25, close: 99.25 });
    // the next bar starts afresh
    expect(nextFormingBar(b3, T0, 1_000, 99.5, T0 + 2_000)).toEqual({
      start: T0 + 2_000,
      open: 99.5,
      high: 99.5,
      low: 99.5,
      close: 99.5,
    });
  });

  it("is none for a quote of a bar already closed", () => {
    expect(nextFormingBar(null, T0 + 1_000, 1_000, 100, T0 + 1_500)).toBeNull();
  });
});
