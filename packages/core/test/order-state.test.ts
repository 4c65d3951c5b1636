import { describe, expect, it } from "vitest";
import { foldOrder, type OrderLifecycleEvent } from "../src";

const T0 = Date.UTC(2026, 2, 2, 14, 30);
const ref = { orderId: "sma-crossover:6", strategyId: "sma-crossover", symbol: "AAPL", side: "buy" as const };

const submitted: OrderLifecycleEvent = {
  type: "order.submitted",
  data: {
    ...ref,
    tsEvent: T0 + 6_000,
    tsInit: T0 + 6_000,
    quantity: 10,
    type: "limit",
    timeInForce: "GTC",
    limitPrice: 95,
    stopPrice: null,
    expireAt: null,
    reduceOnly: false,
    postOnly: false,
    parentId: null,
    signalId: "manual",
  },
};
const accepted: OrderLifecycleEvent = {
  type: "order.accepted",
  data: { ...ref, tsEvent: T0 + 6_001, tsInit: T0 + 6_001 },
};
const partial: OrderLifecycleEvent = {
  type: "order.filled",
  data: {
    ...ref,
    tsEvent: T0 + 6_500,
    tsInit: T0 + 6_500,
    fillNo: 1,
    quantity: 4,
    price: 95,
    liquidity: "maker",
    fee: 0.1,
    realizedPnl: 0,
    cumulativeQuantity: 4,
    leavesQuantity: 6,
    averagePrice: 95,
    quoteSeq: 7,
  },
};
const canceled: OrderLifecycleEvent = {
  type: "order.canceled",
  data: {
    ...ref,
    tsEvent: T0 + 7_000,
    tsInit: T0 + 7_000,
    reason: "requested",
    filledQuantity: 4,
    canceledQuantity: 6,
  },
};

describe("foldOrder", () => {
  it("folds an order's events: its submission's fields, then statuses that only move forward", () => {
    const s1 = foldOrder(undefined, submitted);
    expect(s1).toEqual({
      ...ref,
      type: "limit",
      timeInForce: "GTC",
      quantity: 10,
      limitPrice: 95,
      stopPrice: null,
      parentId: null,
      signalId: "manual",
      status: "submitted",
      filledQuantity: 0,
      averagePrice: null,
      reason: null,
      submittedAt: T0 + 6_000,
      updatedAt: T0 + 6_000,
    });
    const s2 = foldOrder(s1, accepted);
    expect(s2.status).toBe("working");
    const s3 = foldOrder(s2, partial);
    expect(s3).toMatchObject({
      status: "partially-filled",
      filledQuantity: 4,
      averagePrice: 95,
      updatedAt: T0 + 6_500,
    });
    // a late accepted does not move a partly filled order back
    expect(foldOrder(s3, accepted).status).toBe("partially-filled");
    expect(foldOrder(s3, canceled)).toMatchObject({ status: "canceled", reason: "requested", updatedAt: T0 + 7_000 });
  });

  it("starts an order it knows nothing of with the fields only its submission says left null", () => {
    expect(foldOrder(undefined, accepted)).toMatchObject({
      status: "working",
      type: null,
      quantity: null,
      submittedAt: null,
      updatedAt: T0 + 6_001,
    });
  });
});
