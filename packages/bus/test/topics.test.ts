import type { DomainEvent } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { routeEvent, TOPIC_IDS, TOPICS, topicName, type TopicId } from "../src";

describe("topic registry", () => {
  it("names the topics exactly as DESIGN.md does", () => {
    const names = Object.fromEntries(TOPIC_IDS.map((id) => [id, TOPICS[id].name]));
    expect(names).toEqual({
      quotes: "md.quotes.v1",
      bars: "md.bars.v1",
      signals: "strategy.signals.v1",
      orders: "strategy.orders.v1",
      trades: "strategy.trades.v1",
      positions: "strategy.positions.v1",
      risk: "strategy.risk.v1",
      equity: "strategy.equity.v1",
      commands: "strategy.commands.v1",
      dlq: "dlq.v1",
      state: "strategy.state.v1",
    });
  });

  it("compacts the position snapshots and the processor state, and keeps quotes for 24 hours", () => {
    expect(TOPICS.positions.config["cleanup.policy"]).toBe("compact");
    expect(TOPICS.state.config["cleanup.policy"]).toBe("compact");
    expect(TOPICS.quotes.config["retention.ms"]).toBe(String(24 * 3600 * 1000));
    for (const id of ["quotes", "bars", "signals", "orders", "trades", "risk", "equity", "dlq"] as TopicId[])
      expect(TOPICS[id].config["cleanup.policy"]).toBe("delete");
  });

  it("prefixes names for isolated test runs", () => {
    expect(topicName("quotes")).toBe("md.quotes.v1");
    expect(topicName("dlq", "t1-")).toBe("t1-dlq.v1");
  });

  it("routes each event type to its topic with the key DESIGN.md gives", () => {
    const base = { tsEvent: 1, tsInit: 1 };
    expect(
      routeEvent({
        type: "quote.tick",
        id: "q",
        ts: 1,
        data: { symbol: "AAPL", bid: 1, ask: 2, bidSize: 1, askSize: 1, seq: 1, ...base },
      }),
    ).toEqual({ topic: "quotes", key: "AAPL" });
    expect(
      routeEvent({
        type: "bar.closed",
        id: "b",
        ts: 1,
        data: {
          symbol: "AAPL",
          interval: "1m",
          start: 0,
          end: 1,
          open: 1,
          high: 1,
          low: 1,
          close: 1,
          volume: 1,
          tickCount: 1,
          ...base,
        },
      }),
    ).toEqual({ topic: "bars", key: "AAPL:1m" });
    expect(
      routeEvent({
        type: "signal.generated",
        id: "s",
        ts: 1,
        data: {
          signalId: "s",
          strategyId: "sma",
          symbol: "AAPL",
          direction: "long",
          reason: "",
          indicators: {},
          price: 1,
          ...base,
        },
      }),
    ).toEqual({
      topic: "signals",
      key: "sma",
    });
    const order = { orderId: "o", strategyId: "sma", symbol: "AAPL", side: "buy" as const, ...base };
    const submitted = {
      ...order,
      quantity: 1,
      type: "limit" as const,
      timeInForce: "GTC" as const,
      limitPrice: 1,
      stopPrice: null,
      expireAt: null,
      reduceOnly: false,
      postOnly: false,
      parentId: null,
      signalId: "s",
    };
    const fill = {
      ...order,
      fillNo: 1,
      quantity: 1,
      price: 1,
      liquidity: "maker" as const,
      fee: 0,
      realizedPnl: 0,
      cumulativeQuantity: 1,
      leavesQuantity: 0,
      averagePrice: 1,
      quoteSeq: 1,
    };
    const canceled = { ...order, reason: "requested" as const, filledQuantity: 0, canceledQuantity: 1 };
    const replaced = { ...order, quantity: 2, limitPrice: 1, stopPrice: null };
    const rejected = { ...order, quantity: 1, reason: "max-position" as const, detail: "", signalId: "s" };
    for (const event of [
      { type: "order.submitted", id: "o", ts: 1, data: submitted },
      { type: "order.accepted", id: "o:accepted", ts: 1, data: order },
      { type: "order.triggered", id: "o:triggered", ts: 1, data: { ...order, stopPrice: 1, touchPrice: 1 } },
      { type: "order.filled", id: "o:filled:1", ts: 1, data: fill },
      { type: "order.canceled", id: "o:canceled", ts: 1, data: canceled },
      { type: "order.replaced", id: "o:replaced:1", ts: 1, data: replaced },
      { type: "order.rejected", id: "o", ts: 1, data: rejected },
    ] satisfies DomainEvent[])
      expect(routeEvent(event), event.type).toEqual({ topic: "orders", key: "sma" });
    expect(
      routeEvent({
        type: "trade.closed",
        id: "t",
        ts: 1,
        data: {
          tradeId: "sma:AAPL:trade:1",
          strategyId: "sma",
          symbol: "AAPL",
          side: "long",
          quantity: 1,
          entryPrice: 1,
          exitPrice: 2,
          entryTs: 0,
          exitTs: 1,
          holdingMs: 1,
          grossPnl: 1,
          fees: 0,
          netPnl: 1,
          maxAdverseExcursion: 0,
          maxFavorableExcursion: 1,
          ...base,
        },
      }),
    ).toEqual({ topic: "trades", key: "sma" });
    expect(
      routeEvent({
        type: "position.changed",
        id: "p",
        ts: 1,
        data: {
          strategyId: "sma",
          symbol: "AAPL",
          quantity: 1,
          averagePrice: 1,
          costBasis: 1,
          realizedPnl: 0,
          unrealizedPnl: 0,
          fees: 0,
          markPrice: 1,
          ...base,
        },
      }),
    ).toEqual({ topic: "positions", key: "sma:AAPL" });
    expect(
      routeEvent({
        type: "risk.halted",
        id: "r",
        ts: 1,
        data: {
          strategyId: "sma",
          reason: "max-drawdown",
          drawdown: 0.2,
          limit: 0.1,
          equity: 1,
          peakEquity: 2,
          ...base,
        },
      }),
    ).toEqual({
      topic: "risk",
      key: "sma",
    });
    expect(routeEvent({ type: "risk.reset", id: "r", ts: 1, data: { strategyId: "sma", equity: 1, ...base } })).toEqual(
      { topic: "risk", key: "sma" },
    );
  });
});
