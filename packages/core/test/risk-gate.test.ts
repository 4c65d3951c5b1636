import { describe, expect, it } from "vitest";
import { newAccount, toMicros, Universe, type AccountState } from "../src";
import { newSymbolState, type SymbolState } from "../src/engine-state";
import { exposure, haltsAt, preTradeCheck, riskGate, sizeFor, type TradedSymbol } from "../src/risk-gate";

const universe = new Universe();
const gate = riskGate({ maxPositionNotional: 1_000, maxGrossNotional: 1_500, maxDrawdownPct: 0.05 });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** AAPL quoted 100.00 / 100.02 and MSFT 400.00 / 400.04 (price units), with what the strategy holds and has in flight. */
function market(account: AccountState, aaplPending: SymbolState["pending"] = []): TradedSymbol[] {
  const aapl: SymbolState = {
    ...newSymbolState(),
    lastSeq: 1,
    bidUnits: 10_000,
    askUnits: 10_002,
    pending: aaplPending,
  };
  const msft: SymbolState = { ...newSymbolState(), lastSeq: 1, bidUnits: 40_000, askUnits: 40_004 };
  account.positions.MSFT = {
    qty: 2,
    basis: toMicros(800),
    realized: 0,
    fees: 0,
    mark: toMicros(800.04),
    mid2Units: 80_004,
  };
  return [
    { instrument: universe.get("AAPL"), state: aapl },
    { instrument: universe.get("MSFT"), state: msft },
  ];
}

describe("risk gate: pure decisions over the engine state", () => {
  it("decides on frozen state: it reads the state and never writes it", () => {
    // Prepare
    const account = newAccount(toMicros(100_000));
    const traded = deepFreeze(
      market(account, [{ orderId: "s:AAPL:1", strategyId: "s", symbol: "AAPL", qty: 3, wait: 0, signalId: "x" }]),
    );
    deepFreeze(account);
    const [aapl] = traded;
    // Act / Assess: the frozen objects would throw on any write (modules are strict)
    expect(exposure("s", account, aapl!)).toBe(3);
    expect(sizeFor(toMicros(1_000), aapl!.state.askUnits, aapl!.instrument)).toBe(9);
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 3, 1)).toBeNull();
    expect(haltsAt(gate, account, 0.05)).toBe(true);
  });

  it("counts only the strategy's own orders in flight in its exposure", () => {
    const account = newAccount(toMicros(100_000));
    const [aapl] = market(account, [
      { orderId: "s:AAPL:1", strategyId: "s", symbol: "AAPL", qty: 3, wait: 1, signalId: "x" },
      { orderId: "t:AAPL:1", strategyId: "t", symbol: "AAPL", qty: 50, wait: 0, signalId: "y" },
    ]);
    account.positions.AAPL = {
      qty: -1,
      basis: toMicros(-100),
      realized: 0,
      fees: 0,
      mark: toMicros(-100.01),
      mid2Units: 20_002,
    };
    expect(exposure("s", account, aapl!)).toBe(2);
  });

  it("refuses a position beyond its limit, gross notional beyond its limit with the other symbols at their mid, and anything while halted; reducing always passes", () => {
    const account = newAccount(toMicros(100_000));
    const traded = market(account);
    const [aapl] = traded;
    // 10 x 100.02 = 1,000.20 > 1,000
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 0, 10)).toMatchObject({ reason: "max-position" });
    // 7 x 100.02 = 700.14, plus MSFT 2 x 400.02 = 800.04: 1,500.18 > 1,500
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 0, 7)).toMatchObject({
      reason: "max-gross-notional",
      detail: "gross notional 1500.18 would exceed 1500",
    });
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 0, 6)).toBeNull();
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 12, -2)).toBeNull();
    account.halted = true;
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 0, 1)).toMatchObject({ reason: "strategy-halted" });
    expect(haltsAt(gate, account, 0.5)).toBe(false);
  });
});
