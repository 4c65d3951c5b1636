import type { BarInterval } from "./bar";
import type { Universe } from "./instrument";
import { fromMicros } from "./money";
import {
  accountTotals,
  drawdown,
  positionView,
  type AccountState,
  type DrawdownTracker,
  type EquityPoint,
} from "./portfolio";
import type { PortfolioView, StrategyAccountView, StrategyInfoView, StrategyPortfolioView } from "./views";

/** What a view needs of a running strategy instance besides its account. */
export interface ViewedStrategy {
  readonly id: string;
  readonly kind: string;
  readonly symbols: readonly string[];
  readonly params: Record<string, unknown>;
  readonly strategy: { readonly interval: BarInterval };
}

/** A running strategy instance with its parameters and status (a halt outranks a pause). */
export function strategyView(rt: ViewedStrategy, account: AccountState, paused: boolean): StrategyInfoView {
  return {
    id: rt.id,
    kind: rt.kind,
    symbols: [...rt.symbols],
    interval: rt.strategy.interval,
    params: rt.params,
    status: account.halted ? "halted" : paused ? "paused" : "running",
    paused,
  };
}

/** One strategy's account in currency units: totals, a position for every symbol it trades (flat ones too), equity curve, drawdown. */
/**
 * All strategies together, in micros until the last step: totals, the equity curve summing each
 * strategy's latest sample, and the drawdown from the combined peak since start (`tracker`; the
 * curve's own drawdowns are from its highest point shown, as the curve may be trimmed).
 */
export function combinedPortfolioView(
  parts: readonly { id: string; account: AccountState; equityCurve: readonly EquityPoint[] }[],
  tracker: DrawdownTracker,
): PortfolioView {
  const points = parts
    .flatMap(({ equityCurve }, i) => equityCurve.map(([ts, e]) => ({ i, ts, e })))
    .sort((a, b) => a.ts - b.ts);
  const latest = parts.map((p) => p.account.startingCash);
  let sum = latest.reduce((a, b) => a + b, 0);
  let peak = 0;
  const equityCurve: PortfolioView["equityCurve"] = [];
  for (const { i, ts, e } of points) {
    sum += e - latest[i]!;
    latest[i] = e;
    peak = Math.max(peak, sum);
    const entry = { ts, equity: fromMicros(sum), drawdown: peak > 0 ? (peak - sum) / peak : 0 };
    if (equityCurve.at(-1)?.ts === ts) equityCurve[equityCurve.length - 1] = entry;
    else equityCurve.push(entry);
  }
  return {
    ...portfolioTotalsView(
      parts.map((p) => p.account),
      tracker,
    ),
    strategies: parts.map(({ id, account }) => accountView(id, account)),
    equityCurve,
  };
}

/** All strategies' totals, summed in micros, and the drawdown from the combined peak since start (`tracker`). */
export function portfolioTotalsView(accounts: readonly AccountState[], tracker: DrawdownTracker) {
  let startingCash = 0;
  let realized = 0;
  let unrealized = 0;
  let fees = 0;
  let eq = 0;
  for (const account of accounts) {
    const t = accountTotals(account);
    startingCash += account.startingCash;
    realized += t.realized;
    unrealized += t.unrealized;
    fees += t.fees;
    eq += t.equity;
  }
  const peakNow = Math.max(tracker.peakEquity, eq);
  return {
    startingCash: fromMicros(startingCash),
    equity: fromMicros(eq),
    realizedPnl: fromMicros(realized),
    unrealizedPnl: fromMicros(unrealized),
    fees: fromMicros(fees),
    netPnl: fromMicros(eq - startingCash),
    drawdown: peakNow > 0 ? (peakNow - eq) / peakNow : 0,
    maxDrawdown: tracker.maxDrawdown,
    maxDrawdownDurationMs: tracker.maxDrawdownMs,
  };
}

export function portfolioView(
  strategyId: string,
  symbols: readonly string[],
  account: AccountState,
  equityCurve: readonly EquityPoint[],
  universe: Universe,
): StrategyPortfolioView {
  return {
    ...accountView(strategyId, account),
    positions: symbols.map((symbol) => positionView(account.positions[symbol] ?? FLAT, universe.get(symbol))),
    equityCurve: equityCurve.map(([ts, eq]) => ({ ts, equity: fromMicros(eq) })),
  };
}

/** One strategy's account totals in currency units. */
export function accountView(strategyId: string, account: AccountState): StrategyAccountView {
  const totals = accountTotals(account);
  return {
    strategyId,
    startingCash: fromMicros(account.startingCash),
    cash: fromMicros(account.cash),
    equity: fromMicros(totals.equity),
    realizedPnl: fromMicros(totals.realized),
    unrealizedPnl: fromMicros(totals.unrealized),
    fees: fromMicros(totals.fees),
    netPnl: fromMicros(totals.equity - account.startingCash),
    grossExposure: fromMicros(totals.grossExposure),
    drawdown: drawdown(account),
    maxDrawdown: account.maxDrawdown,
    maxDrawdownDurationMs: account.maxDrawdownMs,
    peakEquity: fromMicros(account.peakEquity),
    halted: account.halted,
    closingFills: account.closingFills,
    winningFills: account.winningFills,
  };
}

const FLAT = Object.freeze({ qty: 0, basis: 0, realized: 0, fees: 0, mark: 0, mid2Units: 0, trade: null });
