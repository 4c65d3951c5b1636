/**
 * API answers as the gateway sends them, typed by the contract's own types; contract.test.ts
 * parses each with the gateway's zod schemas, so a fixture cannot drift from the API.
 */
import type {
  Alert,
  Bar,
  BarInterval,
  Health,
  Instrument,
  OrderEvent,
  Portfolio,
  Problem,
  Quote,
  Signal,
  Strategy,
} from "../src/api/types";
import type { Routes } from "./support";

/** 2025-11-26 14:30:00 UTC: every timestamp below counts from here. */
export const T0 = 1_764_167_400_000;

export const instruments: Instrument[] = [
  {
    symbol: "AAPL",
    assetClass: "equity",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 0,
    sizeIncrement: 1,
    startPrice: 190,
    drift: 0.08,
    volatility: 0.25,
    spreadBps: 1,
  },
  {
    symbol: "MSFT",
    assetClass: "equity",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 0,
    sizeIncrement: 1,
    startPrice: 420,
    drift: 0.07,
    volatility: 0.22,
    spreadBps: 1,
  },
  {
    symbol: "EUR-USD",
    assetClass: "fx",
    currency: "USD",
    pricePrecision: 5,
    priceIncrement: 0.00001,
    sizePrecision: 0,
    sizeIncrement: 1000,
    startPrice: 1.085,
    drift: 0,
    volatility: 0.07,
    spreadBps: 0.5,
  },
];

export function quote(symbol: string, bid: number, ask: number, open: number, seq: number): Quote {
  const scale = symbol === "EUR-USD" ? 1e5 : 100;
  const mid = (Math.round(bid * scale) + Math.round(ask * scale)) / (2 * scale);
  const change = Math.round((mid - open) * scale * 10) / (scale * 10);
  return {
    symbol,
    bid,
    ask,
    mid,
    bidSize: 300,
    askSize: 200,
    seq,
    tsEvent: T0 + seq * 50,
    open,
    change,
    changePct: Math.round(((mid - open) / open) * 1e6) / 1e4,
  };
}

export const quotes: Quote[] = [
  quote("AAPL", 190.12, 190.14, 189.5, 1_201),
  quote("MSFT", 419.8, 419.84, 421, 1_188),
  quote("EUR-USD", 1.08512, 1.08517, 1.085, 1_176),
];

/** Closed 1s bars, oldest first, like the strategy worker's read model. */
export function bars(symbol: string, interval: BarInterval, count: number, firstClose: number): Bar[] {
  const length = { "1s": 1_000, "1m": 60_000, "5m": 300_000 }[interval];
  return Array.from({ length: count }, (_, i) => {
    const start = T0 + i * length;
    const open = firstClose + i * 0.05;
    const close = open + (i % 2 === 0 ? 0.04 : -0.03);
    return {
      symbol,
      interval,
      start,
      end: start + length,
      open,
      high: Math.max(open, close) + 0.02,
      low: Math.min(open, close) - 0.02,
      close,
      volume: 4_800,
      tickCount: 20,
      tsEvent: start + length,
      tsInit: start + length + 3,
    };
  });
}

export const signals: Signal[] = [
  {
    signalId: "sma-crossover:AAPL:3",
    strategyId: "sma-crossover",
    symbol: "AAPL",
    direction: "short",
    reason: "SMA(10) crossed below SMA(30)",
    indicators: { fast: 190.11, slow: 190.13 },
    price: 190.13,
    tsEvent: T0 + 4_020,
    tsInit: T0 + 4_022,
  },
  {
    signalId: "sma-crossover:AAPL:2",
    strategyId: "sma-crossover",
    symbol: "AAPL",
    direction: "long",
    reason: "SMA(10) crossed above SMA(30)",
    indicators: { fast: 190.2, slow: 190.1 },
    price: 190.05,
    tsEvent: T0 + 1_010,
    tsInit: T0 + 1_012,
  },
];

/** The AAPL market order filled in two parts, a rejection, and an expired EUR-USD limit order. */
const aaplOrder = {
  orderId: "sma-crossover:3",
  strategyId: "sma-crossover",
  symbol: "AAPL",
  side: "buy" as const,
};
export const orders: OrderEvent[] = [
  {
    type: "order.canceled",
    data: {
      orderId: "sma-crossover:5",
      strategyId: "sma-crossover",
      symbol: "EUR-USD",
      side: "sell",
      reason: "expired",
      filledQuantity: 0,
      canceledQuantity: 9_000,
      tsEvent: T0 + 5_000,
      tsInit: T0 + 5_001,
    },
  },
  {
    type: "order.rejected",
    data: {
      orderId: "sma-crossover:4",
      strategyId: "sma-crossover",
      symbol: "MSFT",
      side: "buy",
      quantity: 23,
      reason: "max-position",
      detail: "position would exceed 25000",
      signalId: "sma-crossover:MSFT:1",
      tsEvent: T0 + 4_500,
      tsInit: T0 + 4_501,
    },
  },
  {
    type: "order.filled",
    data: {
      ...aaplOrder,
      fillNo: 2,
      quantity: 22,
      price: 190.07,
      liquidity: "taker",
      fee: 0.42,
      realizedPnl: 0,
      cumulativeQuantity: 52,
      leavesQuantity: 0,
      averagePrice: 190.07,
      quoteSeq: 1_032,
      tsEvent: T0 + 1_310,
      tsInit: T0 + 1_311,
    },
  },
  {
    type: "order.filled",
    data: {
      ...aaplOrder,
      fillNo: 1,
      quantity: 30,
      price: 190.07,
      liquidity: "taker",
      fee: 0.57,
      realizedPnl: 0,
      cumulativeQuantity: 30,
      leavesQuantity: 22,
      averagePrice: 190.07,
      quoteSeq: 1_031,
      tsEvent: T0 + 1_060,
      tsInit: T0 + 1_061,
    },
  },
  { type: "order.accepted", data: { ...aaplOrder, tsEvent: T0 + 1_010, tsInit: T0 + 1_012 } },
  {
    type: "order.submitted",
    data: {
      ...aaplOrder,
      quantity: 52,
      type: "market",
      timeInForce: "GTC",
      limitPrice: null,
      stopPrice: null,
      expireAt: null,
      reduceOnly: false,
      postOnly: false,
      parentId: null,
      signalId: "sma-crossover:AAPL:2",
      tsEvent: T0 + 1_010,
      tsInit: T0 + 1_012,
    },
  },
];

const account = (
  strategyId: string,
  realizedPnl: number,
  unrealizedPnl: number,
  drawdown: number,
  halted: boolean,
) => ({
  strategyId,
  startingCash: 100_000,
  cash: 100_000 + realizedPnl - 12.5,
  equity: 100_000 + realizedPnl + unrealizedPnl - 12.5,
  realizedPnl,
  unrealizedPnl,
  fees: 12.5,
  netPnl: realizedPnl + unrealizedPnl - 12.5,
  grossExposure: 9_886.24,
  drawdown,
  maxDrawdown: drawdown,
  maxDrawdownDurationMs: drawdown > 0 ? 90_000 : 0,
  peakEquity: 100_150,
  halted,
  closingFills: 4,
  winningFills: 3,
});

export const strategies: Strategy[] = [
  {
    id: "sma-crossover",
    kind: "sma-crossover",
    symbols: ["AAPL", "EUR-USD"],
    interval: "1s",
    params: { interval: "1s", tradeNotional: 10_000, allowShort: true, fast: 10, slow: 30 },
    status: "running",
    portfolio: account("sma-crossover", 84.2, -3.12, 0.0004, false),
    positions: [
      {
        symbol: "AAPL",
        quantity: 52,
        averagePrice: 190.07,
        costBasis: 9_883.64,
        realizedPnl: 84.2,
        unrealizedPnl: -3.12,
        fees: 12.5,
        markPrice: 190.01,
      },
      {
        symbol: "EUR-USD",
        quantity: 0,
        averagePrice: 0,
        costBasis: 0,
        realizedPnl: 0,
        unrealizedPnl: 0,
        fees: 0,
        markPrice: 1.08514,
      },
    ],
  },
  {
    id: "mean-reversion",
    kind: "mean-reversion",
    symbols: ["MSFT"],
    interval: "1s",
    params: { interval: "1s", tradeNotional: 10_000, allowShort: true, window: 30, entryZ: 2, exitZ: 0.5 },
    status: "halted",
    portfolio: account("mean-reversion", -5_210.4, 0, 0.0521, true),
    positions: [
      {
        symbol: "MSFT",
        quantity: 0,
        averagePrice: 0,
        costBasis: 0,
        realizedPnl: -5_210.4,
        unrealizedPnl: 0,
        fees: 12.5,
        markPrice: 419.82,
      },
    ],
  },
];

export const portfolio: Portfolio = {
  startingCash: 200_000,
  equity: 194_845.18,
  realizedPnl: -5_126.2,
  unrealizedPnl: -3.12,
  fees: 25,
  netPnl: -5_154.82,
  drawdown: 0.0258,
  maxDrawdown: 0.0261,
  maxDrawdownDurationMs: 95_000,
  strategies: strategies.map((s) => s.portfolio),
  equityCurve: [
    { ts: T0, equity: 200_000, drawdown: 0 },
    { ts: T0 + 400, equity: 200_012, drawdown: 0 },
    { ts: T0 + 900, equity: 200_020, drawdown: 0 },
    { ts: T0 + 1_300, equity: 194_800, drawdown: 0.0261 },
    { ts: T0 + 2_100, equity: 194_845.18, drawdown: 0.0258 },
  ],
};

export const alerts: Alert[] = [
  {
    id: `mean-reversion:${T0 + 3_000}`,
    strategyId: "mean-reversion",
    reason: "max-drawdown",
    message: "mean-reversion halted: drawdown 5.21% reached the 5.00% limit; positions flattened",
    drawdown: 0.0521,
    limit: 0.05,
    equity: 94_777.1,
    peakEquity: 99_987.5,
    tsEvent: T0 + 3_000,
  },
];

export const healthy: Health = {
  status: "up",
  dependencies: [
    { name: "market-data", status: "up", latencyMs: 3 },
    { name: "strategy", status: "up", latencyMs: 4 },
  ],
};

export const strategyDown: Health = {
  status: "down",
  dependencies: [
    { name: "market-data", status: "up", latencyMs: 2 },
    { name: "strategy", status: "down", latencyMs: 1_000, detail: "strategy did not answer within 1000 ms" },
  ],
};

export const upstreamTimeout: Problem = {
  type: "about:blank",
  title: "Service Unavailable",
  status: 503,
  code: "upstream-timeout",
  detail: "market-data did not answer within 1000 ms",
  instance: "/api/quotes",
  upstream: "market-data",
};

/** Every route of the dashboard answering the fixtures above; bars follow the requested interval. */
export function dashboardRoutes(): Routes {
  const barsOf = (symbol: string, close: number) => (url: URL) => ({
    body: bars(symbol, (url.searchParams.get("interval") ?? "1m") as BarInterval, 6, close),
  });
  return {
    "/api/health": { body: healthy },
    "/api/instruments": { body: instruments },
    "/api/quotes": { body: quotes },
    "/api/bars/AAPL": barsOf("AAPL", 190),
    "/api/bars/MSFT": barsOf("MSFT", 420),
    "/api/bars/EUR-USD": barsOf("EUR-USD", 1.085),
    "/api/signals": (url) => ({
      body: signals.filter((s) => !url.searchParams.has("symbol") || s.symbol === url.searchParams.get("symbol")),
    }),
    "/api/orders": (url) => ({
      body: orders.filter(
        (o) =>
          (!url.searchParams.has("symbol") || o.data.symbol === url.searchParams.get("symbol")) &&
          (!url.searchParams.has("type") || o.type === `order.${url.searchParams.get("type")}`),
      ),
    }),
    "/api/strategies": { body: strategies },
    "/api/portfolio": { body: portfolio },
    "/api/alerts": { body: alerts },
  };
}
