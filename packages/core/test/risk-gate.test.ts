import { describe, expect, it } from "vitest";
import { newAccount, toMicros, Universe, type AccountState } from "../src";
import { newSymbolState, type SymbolState, type WorkingOrder } from "../src/engine-state";
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
function market(account: AccountState, aaplOrders: WorkingOrder[] = []): TradedSymbol[] {
  const aapl: SymbolState = {
    ...newSymbolState([1, 2, 3, 4]),
    lastSeq: 1,
    bidUnits: 10_000,
    askUnits: 10_002,
    orders: aaplOrders,
  };
  const msft: SymbolState = { ...newSymbolState([1, 2, 3, 4]), lastSeq: 1, bidUnits: 40_000, askUnits: 40_004 };
  account.positions.MSFT = {
    qty: 2,
    basis: toMicros(800),
    realized: 0,
    fees: 0,
    mark: toMicros(800.04),
    mid2Units: 80_004,
    trade: null,
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
    const traded = deepFreeze(market(account, [working({ orderId: "s:AAPL:1", strategyId: "s", side: 1, qty: 3 })]));
    deepFreeze(account);
    const [aapl] = traded;
    // Act / Assess: the frozen objects would throw on any write (modules are strict)
    expect(exposure("s", account, aapl!)).toBe(3);
    expect(sizeFor(toMicros(1_000), aapl!.state.askUnits, aapl!.instrument)).toBe(9);
    expect(preTradeCheck(gate, "s", account, traded, aapl!, 3, 1)).toBeNull();
    expect(haltsAt(gate, account, 0.05)).toBe(true);
  });

  it("counts the strategy's own working orders in its exposure, by what is left of them, and no reduce-only one", () => {
    const account = newAccount(toMicros(100_000));
    const [aapl] = market(account, [
      // 5 of 8 filled: 3 left to buy
      working({ orderId: "s:AAPL:1", strategyId: "s", side: 1, qty: 8, filled: 5 }),
      working({ orderId: "t:AAPL:1", strategyId: "t", side: 1, qty: 50 }),
      working({ orderId: "s:AAPL:2:tp", strategyId: "s", side: 1, qty: 1, reduceOnly: true }),
    ]);
    account.positions.AAPL = {
      qty: -1,
      basis: toMicros(-100),
      realized: 0,
      fees: 0,
      mark: toMicros(-100.01),
      mid2Units: 20_002,
      trade: null,
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

/** A working limit order with the given fields. */
function working(
  fields: Partial<WorkingOrder> & Pick<WorkingOrder, "orderId" | "strategyId" | "side" | "qty">,
): WorkingOrder {
  return {
    type: "limit",
    tif: "GTC",
    limitUnits: 9_990,
    stopUnits: null,
    expireAt: null,
    reduceOnly: false,
    postOnly: false,
    takeProfitUnits: null,
    stopLossUnits: null,
    signalId: "x",
    parentId: null,
    ocoId: null,
    activeAt: 0,
    arrived: true,
    triggered: false,
    filled: 0,
    fills: 0,
    filledNotional: 0,
    replaces: 0,
    ...fields,
  };
}
