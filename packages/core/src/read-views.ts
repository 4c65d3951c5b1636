import type { BarInterval } from "./bar";
import type { Universe } from "./instrument";
import { fromMicros } from "./money";
import { accountTotals, drawdown, positionView, type AccountState, type EquityPoint } from "./portfolio";
import type { StrategyInfoView, StrategyPortfolioView } from "./views";

/** What a view needs of a running strategy instance besides its account. */
export interface ViewedStrategy {
  readonly id: string;
  readonly kind: string;
  readonly symbols: readonly string[];
  readonly params: Record<string, unknown>;
  readonly strategy: { readonly interval: BarInterval };
}

/** A running strategy instance with its parameters and status. */
export function strategyView(rt: ViewedStrategy, account: AccountState): StrategyInfoView {
  return {
    id: rt.id,
    kind: rt.kind,
    symbols: [...rt.symbols],
    interval: rt.strategy.interval,
    params: rt.params,
    status: account.halted ? "halted" : "running",
  };
}

/** One strategy's account in currency units: totals, a position for every symbol it trades (flat ones too), equity curve, drawdown. */
export function portfolioView(
  strategyId: string,
  symbols: readonly string[],
  account: AccountState,
  equityCurve: readonly EquityPoint[],
  universe: Universe,
): StrategyPortfolioView {
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
    positions: symbols.map((symbol) => positionView(account.positions[symbol] ?? FLAT, universe.get(symbol))),
    equityCurve: equityCurve.map(([ts, eq]) => ({ ts, equity: fromMicros(eq) })),
  };
}

const FLAT = Object.freeze({ qty: 0, basis: 0, realized: 0, fees: 0, mark: 0, mid2Units: 0, trade: null });
