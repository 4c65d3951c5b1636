import { ConfigError } from "./errors";
import { Prng } from "./prng";

/*
 * Parameter search, the pure part: the axes of a grid, the candidates of a grid or of a seeded
 * random search, the walk-forward windows and the ranking. Running the backtests (in parallel)
 * is the CLI's; everything here is a function of its arguments, so the same arguments rank the
 * same candidates the same way whatever ran them.
 */

export type ParamValue = number | string | boolean;
export type Candidate = Record<string, ParamValue>;

export interface ParamAxis {
  name: string;
  values: ParamValue[];
}

/** More points on one axis than this is a typo, not a search. */
export const MAX_AXIS_POINTS = 10_000;

function scalar(text: string): ParamValue {
  if (text === "true") return true;
  if (text === "false") return false;
  const x = Number(text);
  return text.trim() !== "" && Number.isFinite(x) ? x : text;
}

/**
 * One axis from `name=from:to:step` (inclusive numeric range) or `name=a,b,c` (a list; numbers,
 * true/false and strings). Bad ones throw a ConfigError saying what was expected.
 */
export function parseAxis(spec: string): ParamAxis {
  const eq = spec.indexOf("=");
  const name = spec.slice(0, eq).trim();
  const body = spec.slice(eq + 1).trim();
  if (eq <= 0 || body === "")
    throw new ConfigError(`"${spec}": expected name=from:to:step or name=a,b,c, e.g. fast=5:20:5`);
  const range = /^(-?[\d.]+):(-?[\d.]+):([\d.]+)$/.exec(body);
  if (range) {
    const [from, to, step] = range.slice(1).map(Number) as [number, number, number];
    if (![from, to, step].every(Number.isFinite) || step <= 0 || to < from)
      throw new ConfigError(`"${spec}": a range needs from <= to and a positive step`);
    const count = Math.floor((to - from) / step + 1e-9) + 1;
    if (count > MAX_AXIS_POINTS) throw new ConfigError(`"${spec}": ${count} points, at most ${MAX_AXIS_POINTS}`);
    // from + i·step, rounded to 10 decimals so 0.1 steps print as 0.3, not 0.30000000000000004
    const values = Array.from({ length: count }, (_, i) => Math.round((from + i * step) * 1e10) / 1e10);
    return { name, values };
  }
  const values = body.split(",").map((v) => scalar(v.trim()));
  if (new Set(values).size !== values.length) throw new ConfigError(`"${spec}": a value is listed twice`);
  return { name, values };
}

/** Points in the grid of these axes. */
export function gridSize(axes: readonly ParamAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** The grid point at `index`, the last axis varying fastest. */
export function gridPoint(axes: readonly ParamAxis[], index: number): Candidate {
  const point: Candidate = {};
  let rest = index;
  for (let i = axes.length - 1; i >= 0; i--) {
    const axis = axes[i]!;
    point[axis.name] = axis.values[rest % axis.values.length]!;
    rest = Math.floor(rest / axis.values.length);
  }
  // in the axes' order, so the same search prints its columns alike
  return Object.fromEntries(axes.map((a) => [a.name, point[a.name]!]));
}

/** Every grid point, the last axis varying fastest. */
export function gridCandidates(axes: readonly ParamAxis[]): Candidate[] {
  return Array.from({ length: gridSize(axes) }, (_, i) => gridPoint(axes, i));
}

/**
 * `count` distinct grid points drawn with the seeded generator (a partial Fisher-Yates shuffle of
 * the grid's indices), in the order drawn; the whole grid, shuffled, when it has fewer points.
 */
export function randomCandidates(axes: readonly ParamAxis[], count: number, seed: string): Candidate[] {
  const size = gridSize(axes);
  const n = Math.min(count, size);
  const prng = new Prng(seed);
  // a sparse shuffle: only the swapped indices are stored, so a huge grid costs what is drawn
  const swapped = new Map<number, number>();
  const out: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    const j = prng.nextInt(i, size - 1);
    const picked = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(gridPoint(axes, picked));
  }
  return out;
}

export interface WalkForwardWindow {
  /** In-sample [from, to) in event time. */
  inSample: { from: number; to: number };
  outOfSample: { from: number; to: number };
}

/**
 * Rolling walk-forward windows over [startTs, endTs]: in-sample of `inSampleMs`, then out-of-sample
 * of `outOfSampleMs`, the pair moving on by the out-of-sample length, so the out-of-sample periods
 * tile the run after the first in-sample one without overlap. Only whole windows are kept.
 */
export function walkForwardWindows(
  startTs: number,
  endTs: number,
  inSampleMs: number,
  outOfSampleMs: number,
): WalkForwardWindow[] {
  if (inSampleMs <= 0 || outOfSampleMs <= 0) throw new ConfigError("walk-forward lengths must be positive");
  const windows: WalkForwardWindow[] = [];
  for (let from = startTs; from + inSampleMs + outOfSampleMs <= endTs + 1; from += outOfSampleMs) {
    const split = from + inSampleMs;
    windows.push({ inSample: { from, to: split }, outOfSample: { from: split, to: split + outOfSampleMs } });
  }
  return windows;
}

export const OBJECTIVES = ["sharpe", "net-pnl", "profit-factor"] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** What a search keeps of one backtest of one candidate. */
export interface RunFigures {
  netPnl: number;
  fees: number;
  fills: number;
  trades: number;
  /** Annualised when the run has hourly returns or coarser, else per period (every candidate of a search spans the same time); null when too short or flat. */
  sharpe: number | null;
  profitFactor: number | null;
  winRateNet: number | null;
  /** Largest fall from the highest equity since start, a fraction. */
  maxDrawdown: number;
}

export function objectiveValue(figures: RunFigures, objective: Objective): number | null {
  switch (objective) {
    case "sharpe":
      return figures.sharpe;
    case "net-pnl":
      return figures.netPnl;
    case "profit-factor":
      return figures.profitFactor;
  }
}

export interface Ranked<T extends { figures: RunFigures }> {
  item: T;
  value: number | null;
  /** Beyond the drawdown bound: ranked after every candidate within it. */
  excluded: boolean;
}

/**
 * Best first: candidates within the drawdown bound before those beyond it, then by the
 * objective (a candidate without a value after those with one), then in the order given, so
 * ties always break the same way.
 */
export function rank<T extends { figures: RunFigures }>(
  items: readonly T[],
  objective: Objective,
  maxDrawdownBound: number | null,
): Ranked<T>[] {
  return items
    .map((item, index) => ({
      index,
      item,
      value: objectiveValue(item.figures, objective),
      excluded: maxDrawdownBound !== null && item.figures.maxDrawdown > maxDrawdownBound,
    }))
    .sort(
      (a, b) =>
        Number(a.excluded) - Number(b.excluded) ||
        Number(a.value === null) - Number(b.value === null) ||
        (b.value ?? 0) - (a.value ?? 0) ||
        a.index - b.index,
    )
    .map(({ item, value, excluded }) => ({ item, value, excluded }));
}
