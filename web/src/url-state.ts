import type { BarInterval } from "./api/types";

/**
 * What a deep link holds: the chart's symbol, interval and strategy filter, in the query string
 * (`?symbol=MSFT&interval=5m&strategies=sma-crossover,breakout`). Read once on load, written on
 * every change with history.replaceState: a choice is not a page to go back to.
 */
export interface ViewState {
  symbol?: string;
  interval?: BarInterval;
  /** The strategies whose markers show; undefined: every strategy. */
  strategies?: readonly string[];
}

const INTERVALS: readonly string[] = ["1s", "1m", "5m"] satisfies readonly BarInterval[];

/** The view a query string asks for; what it gets wrong (an unknown interval) is left out. */
export function parseView(search: string): ViewState {
  const params = new URLSearchParams(search);
  const view: ViewState = {};
  const symbol = params.get("symbol");
  if (symbol) view.symbol = symbol;
  const interval = params.get("interval");
  if (interval !== null && INTERVALS.includes(interval)) view.interval = interval as BarInterval;
  const strategies = params.get("strategies");
  // an empty value is a filter that shows none
  if (strategies !== null) view.strategies = strategies === "" ? [] : [...new Set(strategies.split(","))];
  return view;
}

/**
 * The query string with `change` applied and every other parameter kept; a key set to undefined
 * is removed. Strategy ids are letters, digits and dashes, so commas separate them unescaped.
 */
export function withView(search: string, change: Partial<ViewState>): string {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(change) as [string, ViewState[keyof ViewState]][]) {
    if (value === undefined) params.delete(key);
    else params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString().replaceAll("%2C", ",");
  return text === "" ? "" : `?${text}`;
}

/** The view the page's URL asks for. */
export function currentView(): ViewState {
  return parseView(window.location.search);
}

/** Writes a change of view into the page's URL, replacing the history entry. */
export function saveView(change: Partial<ViewState>): void {
  const search = withView(window.location.search, change);
  if (search === window.location.search) return;
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}${window.location.hash}`);
}
