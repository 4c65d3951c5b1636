/**
 * API answers as the gateway sends them, typed by the contract's own types; contract.test.ts
 * parses each with the gateway's zod schemas, so a fixture cannot drift from the API.
 */
import type {
  Alert,
  Bar,
  BarInterval,
  CommandAccepted,
  CommandRecord,
  Fill,
  Health,
  Instrument,
  OrderState,
  Portfolio,
  Problem,
  Quote,
  Signal,
  Strategy,
  StrategyKind,
  TokenAnswer,
  Trade,
} from "../src/api/types";
import type { Answer, Routes } from "./support";

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

/** Newest first: an expired EUR-USD limit order, a rejected MSFT order, and the AAPL market order filled in two parts. */
export const orders: OrderState[] = [
  {
    orderId: "sma-crossover:5",
    strategyId: "sma-crossover",
    symbol: "EUR-USD",
    side: "sell",
    type: "limit",
    timeInForce: "GTD",
    quantity: 9_000,
    limitPrice: 1.0853,
    stopPrice: null,
    parentId: null,
    signalId: "sma-crossover:EUR-USD:1",
    status: "canceled",
    filledQuantity: 0,
    averagePrice: null,
    reason: "expired",
    submittedAt: T0 + 4_800,
    updatedAt: T0 + 5_000,
  },
  {
    orderId: "sma-crossover:4",
    strategyId: "sma-crossover",
    symbol: "MSFT",
    side: "buy",
    type: "market",
    timeInForce: "GTC",
    quantity: 23,
    limitPrice: null,
    stopPrice: null,
    parentId: null,
    signalId: "sma-crossover:MSFT:1",
    status: "rejected",
    filledQuantity: 0,
    averagePrice: null,
    reason: "max-position",
    submittedAt: T0 + 4_500,
    updatedAt: T0 + 4_501,
  },
  {
    orderId: "sma-crossover:3",
    strategyId: "sma-crossover",
    symbol: "AAPL",
    side: "buy",
    type: "market",
    timeInForce: "GTC",
    quantity: 52,
    limitPrice: null,
    stopPrice: null,
    parentId: null,
    signalId: "sma-crossover:AAPL:2",
    status: "filled",
    filledQuantity: 52,
    averagePrice: 190.07,
    reason: null,
    submittedAt: T0 + 1_010,
    updatedAt: T0 + 1_310,
  },
];

/** The AAPL order's two fills, newest first: 30 then 22 at 190.07. */
const aaplOrder = {
  orderId: "sma-crossover:3",
  strategyId: "sma-crossover",
  symbol: "AAPL",
  side: "buy" as const,
};
export const fills: Fill[] = [
  {
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
  {
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
];

/** A round trip; the PnL figures are given, as the engine sends them, so each test can check them by hand. */
export function trade(
  n: number,
  strategyId: string,
  symbol: string,
  fields: Pick<
    Trade,
    | "side"
    | "quantity"
    | "entryPrice"
    | "exitPrice"
    | "holdingMs"
    | "grossPnl"
    | "fees"
    | "netPnl"
    | "maxAdverseExcursion"
    | "maxFavorableExcursion"
  > & { exitTs: number },
): Trade {
  return {
    tradeId: `${strategyId}:${symbol}:trade:${n}`,
    strategyId,
    symbol,
    ...fields,
    entryTs: fields.exitTs - fields.holdingMs,
    tsEvent: fields.exitTs,
    tsInit: fields.exitTs + 1,
  };
}

/**
 * Closed trades, newest first. Gross PnL is quantity times the move in the trade's favour, net
 * is gross less fees: AAPL 52 x (190.31 - 190.07) = 12.48, less 1.98 = 10.50; MSFT short
 * 23 x (419.84 - 420.50) = -15.18, less 1.93 = -17.11; EUR-USD short 9,000 x (1.08517 - 1.0849)
 * = 2.43, less 0.98 = 1.45; AAPL 52 x (190.05 - 190.20) = -7.80, less 1.98 = -9.78.
 */
export const trades: Trade[] = [
  trade(2, "sma-crossover", "AAPL", {
    side: "long",
    quantity: 52,
    entryPrice: 190.07,
    exitPrice: 190.31,
    exitTs: T0 + 9_310,
    holdingMs: 8_000,
    grossPnl: 12.48,
    fees: 1.98,
    netPnl: 10.5,
    maxAdverseExcursion: -3.12,
    maxFavorableExcursion: 14.04,
  }),
  trade(1, "mean-reversion", "MSFT", {
    side: "short",
    quantity: 23,
    entryPrice: 419.84,
    exitPrice: 420.5,
    exitTs: T0 + 8_000,
    holdingMs: 185_000,
    grossPnl: -15.18,
    fees: 1.93,
    netPnl: -17.11,
    maxAdverseExcursion: -21.39,
    maxFavorableExcursion: 2.3,
  }),
  trade(1, "sma-crossover", "EUR-USD", {
    side: "short",
    quantity: 9_000,
    entryPrice: 1.08517,
    exitPrice: 1.0849,
    exitTs: T0 + 7_500,
    holdingMs: 42_500,
    grossPnl: 2.43,
    fees: 0.98,
    netPnl: 1.45,
    maxAdverseExcursion: -0.45,
    maxFavorableExcursion: 2.61,
  }),
  trade(1, "sma-crossover", "AAPL", {
    side: "long",
    quantity: 52,
    entryPrice: 190.2,
    exitPrice: 190.05,
    exitTs: T0 + 1_000,
    holdingMs: 850,
    grossPnl: -7.8,
    fees: 1.98,
    netPnl: -9.78,
    maxAdverseExcursion: -9.1,
    maxFavorableExcursion: 0.52,
  }),
];

/**
 * `count` AAPL round trips of one strategy, newest first (trade `count` closed last), one a
 * second: a long history to page through. Each makes 10 x 0.10 = 1.00 gross, 0.40 in fees.
 */
export function tradeHistory(count: number, strategyId = "sma-crossover"): Trade[] {
  return Array.from({ length: count }, (_, i) => {
    const n = count - i;
    return trade(n, strategyId, "AAPL", {
      side: "long",
      quantity: 10,
      entryPrice: 190,
      exitPrice: 190.1,
      exitTs: T0 + n * 1_000,
      holdingMs: 500,
      grossPnl: 1,
      fees: 0.4,
      netPnl: 0.6,
      maxAdverseExcursion: -0.2,
      maxFavorableExcursion: 1.1,
    });
  });
}

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
    paused: false,
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
    paused: false,
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

/** The parameters every kind shares, as z.toJSONSchema writes them (input form). */
const baseParams = (entryOrder: "market" | "limit") => ({
  interval: { default: "1s", type: "string", enum: ["1s", "1m", "5m"] },
  tradeNotional: { default: 10_000, type: "number", exclusiveMinimum: 0 },
  allowShort: { default: true, type: "boolean" },
  entryOrder: { default: entryOrder, type: "string", enum: ["market", "limit", "stop"] },
  takeProfitBps: { type: "number", exclusiveMinimum: 0, maximum: 10_000 },
  stopLossBps: { type: "number", exclusiveMinimum: 0, maximum: 10_000 },
  takeProfitVol: { type: "number", exclusiveMinimum: 0, maximum: 100 },
  stopLossVol: { type: "number", exclusiveMinimum: 0, maximum: 100 },
});

/** GET /api/strategy-kinds: sma-crossover's parameters (contract.test.ts holds it to core's schema; the gateway drops `$schema`). */
export const smaCrossoverKind: StrategyKind = {
  kind: "sma-crossover",
  params: {
    type: "object",
    properties: {
      ...baseParams("market"),
      fast: { default: 10, type: "integer", minimum: 1, maximum: 9_007_199_254_740_991 },
      slow: { default: 30, type: "integer", minimum: 2, maximum: 9_007_199_254_740_991 },
    },
  },
};

export const meanReversionKind: StrategyKind = {
  kind: "mean-reversion",
  params: {
    type: "object",
    properties: {
      ...baseParams("limit"),
      window: { default: 30, type: "integer", minimum: 2, maximum: 9_007_199_254_740_991 },
      entryZ: { default: 2, type: "number", exclusiveMinimum: 0 },
      exitZ: { default: 0.5, type: "number", minimum: 0 },
    },
  },
};

export const strategyKinds: StrategyKind[] = [smaCrossoverKind, meanReversionKind];

/** A 202 of POST /api/orders: the command id is the request's Idempotency-Key. */
export const accepted: CommandAccepted = {
  commandId: "0b9c6a52-3f5e-4a57-9d3e-5c1f0b7e2a11",
  kind: "order.submit",
  strategyId: "sma-crossover",
  status: "pending",
  submittedAt: T0 + 10_000,
};

/** That command once the engine applied it: the order it made. */
export const appliedCommand: CommandRecord = {
  commandId: accepted.commandId,
  kind: "order.submit",
  strategyId: "sma-crossover",
  payload: {
    order: {
      symbol: "AAPL",
      side: "buy",
      quantity: 10,
      type: "limit",
      timeInForce: "GTC",
      limitPrice: 150.25,
      reduceOnly: false,
      postOnly: false,
    },
  },
  actor: { subject: "alice", username: "alice", role: "trader" },
  submittedAt: T0 + 10_000,
  status: "applied",
  reason: null,
  detail: null,
  orderId: "sma-crossover:AAPL:m1",
  appliedAt: T0 + 10_050,
};

/** POST /api/auth/token: a trader's token (claims sub alice, role trader). */
export const token: TokenAnswer = {
  access_token:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJ0cmFkZXIiLCJleHAiOjE3NjQxNzEwMDB9.c2lnbmF0dXJl",
  token_type: "Bearer",
  expires_in: 3_600,
  username: "alice",
  role: "trader",
};

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
    { name: "database", status: "up", latencyMs: 2 },
  ],
};

export const strategyDown: Health = {
  status: "down",
  dependencies: [
    { name: "market-data", status: "up", latencyMs: 2 },
    { name: "strategy", status: "down", latencyMs: 1_000, detail: "strategy did not answer within 1000 ms" },
    { name: "database", status: "up", latencyMs: 1 },
  ],
};

export const databaseDown: Health = {
  status: "down",
  dependencies: [
    { name: "market-data", status: "up", latencyMs: 2 },
    { name: "strategy", status: "up", latencyMs: 3 },
    {
      name: "database",
      status: "down",
      latencyMs: 1_000,
      detail: "the read side's database did not answer (ECONNREFUSED)",
    },
  ],
};

/** The portfolio route before the read side's first sample. */
export const readSideEmpty: Problem = {
  type: "about:blank",
  title: "Service Unavailable",
  status: 503,
  code: "read-side-empty",
  detail: "no portfolio sample yet: the first one comes with the first closed bar",
  instance: "/api/portfolio",
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

/**
 * One page of a list route, as the read side cuts it: `limit` items (100 unless asked) after the
 * cursor, and the cursor of the next page while there are more. The cursor names the last item
 * of the page (`after:<id>`); a cursor this fake did not give out is a 400, as the gateway's.
 */
export function pageAnswer<T>(items: readonly T[], url: URL, id: (item: T) => string): Answer {
  const limit = Number(url.searchParams.get("limit") ?? 100);
  const cursor = url.searchParams.get("cursor");
  const start = cursor === null ? 0 : items.findIndex((item) => `after:${id(item)}` === cursor) + 1;
  if (cursor !== null && start === 0)
    return {
      status: 400,
      body: {
        type: "about:blank",
        title: "Bad Request",
        status: 400,
        code: "invalid-parameter",
        detail: `cursor ${cursor} was not given out by this API`,
        parameter: "cursor",
      },
    };
  const page = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { body: { items: page, next: more ? `after:${id(page.at(-1)!)}` : null } };
}

/** The items matching a request's strategy, symbol and side filters. */
function filtered<T extends { strategyId: string; symbol: string; side: string; status?: string }>(
  items: readonly T[],
  url: URL,
): T[] {
  const wanted = (name: string, value: string | undefined) =>
    !url.searchParams.has(name) || url.searchParams.get(name) === value;
  return items.filter(
    (i) =>
      wanted("strategy", i.strategyId) &&
      wanted("symbol", i.symbol) &&
      wanted("side", i.side) &&
      wanted("status", i.status),
  );
}

/** A filter naming a strategy the read side has not heard of: 404, as the gateway answers. */
function unknownStrategy(url: URL, known: readonly string[]): Answer | undefined {
  const strategy = url.searchParams.get("strategy");
  if (strategy === null || known.includes(strategy)) return undefined;
  return {
    status: 404,
    body: {
      type: "about:blank",
      title: "Not Found",
      status: 404,
      code: "unknown-strategy",
      detail: `the read side knows no strategy "${strategy}"`,
      parameter: "strategy",
    },
  };
}

/** The trades route over a list of trades: filters, unknown strategies, pages and, with `Accept: text/csv`, CSV. */
export function tradesRoute(all: readonly Trade[]): (url: URL, headers: Headers) => Answer {
  return (url, headers) => {
    const unknown = unknownStrategy(
      url,
      strategies.map((s) => s.id),
    );
    if (unknown) return unknown;
    const answer = pageAnswer(filtered(all, url), url, (t) => t.tradeId);
    if (!headers.get("accept")?.includes("text/csv") || answer.status !== undefined) return answer;
    const page = answer.body as { items: Trade[] };
    const rows = page.items.map((t) => [t.tradeId, t.strategyId, t.symbol, t.side, t.netPnl].join(","));
    return {
      body: ["tradeId,strategyId,symbol,side,netPnl", ...rows].join("\r\n") + "\r\n",
      headers: { "content-type": "text/csv; charset=utf-8" },
    };
  };
}

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
    "/api/signals": (url) =>
      pageAnswer(
        signals.filter((s) => !url.searchParams.has("symbol") || s.symbol === url.searchParams.get("symbol")),
        url,
        (s) => s.signalId,
      ),
    "/api/orders": (url) => pageAnswer(filtered(orders, url), url, (o) => o.orderId),
    "/api/fills": (url) => pageAnswer(filtered(fills, url), url, (f) => `${f.orderId}:${f.fillNo}`),
    "/api/trades": tradesRoute(trades),
    "/api/strategies": { body: strategies },
    "/api/portfolio": { body: portfolio },
    // the strategy comparison's curves: none sampled in the window
    "/api/equity": { body: { items: [], next: null } },
    "/api/alerts": { body: alerts },
  };
}
