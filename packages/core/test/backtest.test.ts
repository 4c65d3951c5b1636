import { describe, expect, it } from "vitest";
import {
  DEFAULT_START_TIME,
  parseReplayCsv,
  MAX_PRICE_POINTS,
  MidTrace,
  MS_PER_YEAR,
  runBacktest,
  simulatedTicks,
  Universe,
  type EngineConfigInput,
  type EngineEvent,
  type QuoteTick,
} from "../src";

const universe = new Universe();
const engine: EngineConfigInput = {
  strategies: [{ id: "sma-crossover", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"] }],
};
const instruments = universe.select(["AAPL", "BTC-USD"]);

describe("backtest", () => {
  it("gives the same report, byte for byte, for the same inputs", () => {
    const a = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 42 }, 40_000) });
    const b = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 42 }, 40_000) });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.ticks).toBe(40_000);
    expect(a.firstTs).toBe(DEFAULT_START_TIME + 50);
  });

  it("reports PnL that adds up: equity = start + realized + unrealized - fees, and per symbol sums to the total", () => {
    const report = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 1 }, 60_000) });
    const [s] = report.strategies;
    expect(s!.fills).toBeGreaterThan(10);
    expect(s!.finalEquity).toBeCloseTo(s!.startingCash + s!.realizedPnl + s!.unrealizedPnl - s!.fees, 6);
    expect(s!.netPnl).toBeCloseTo(
      s!.symbols.reduce((sum, x) => sum + x.netPnl, 0),
      6,
    );
    // every market order fills, some in more than one piece
    expect(s!.fills).toBeGreaterThanOrEqual(s!.orders - 2);
    // market exits close whole positions: the realized PnL is the closed round trips' gross
    expect(s!.trades.length).toBeGreaterThan(5);
    expect(s!.trades.reduce((sum, t) => sum + t.grossPnl, 0)).toBeCloseTo(s!.realizedPnl, 6);
    for (const t of s!.trades) expect(t.netPnl).toBeCloseTo(t.grossPnl - t.fees, 9);
    expect(s!.winRate).toBeGreaterThanOrEqual(0);
    expect(s!.winRate).toBeLessThanOrEqual(1);
    expect(s!.maxDrawdown).toBeGreaterThan(0);
    expect(s!.equityCurve.length).toBeGreaterThan(100);
    expect(s!.equityCurve.at(-1)!.equity).toBe(s!.finalEquity);
  });

  it("replays a CSV of the simulated ticks to the same fills and report", () => {
    const ticks = [...simulatedTicks({ instruments, seed: 5 }, 30_000)];
    const csv = [
      "symbol,tsEvent,bid,ask,bidSize,askSize",
      ...ticks.map((t) => [t.symbol, t.tsEvent, t.bid, t.ask, t.bidSize, t.askSize].join(",")),
    ];
    const fills = (source: Iterable<(typeof ticks)[number]>) => {
      const seen: EngineEvent[] = [];
      const report = runBacktest({
        engine,
        universe,
        ticks: source,
        onEvent: (e) => e.type === "order.filled" && seen.push(e),
      });
      return { report, seen };
    };
    const simulated = fills(ticks);
    const replayed = fills(parseReplayCsv(csv, universe));
    expect(replayed.seen).toEqual(simulated.seen);
    expect(replayed.report).toEqual(simulated.report);
  });

  it("reports progress while it runs", () => {
    const seen: number[] = [];
    runBacktest({
      engine,
      universe,
      ticks: simulatedTicks({ instruments, seed: 2 }, 2_500),
      onProgress: (n) => seen.push(n),
      progressEvery: 1_000,
    });
    expect(seen).toEqual([1_000, 2_000]);
  });
});

describe("backtest report figures", () => {
  it("counts rejected orders by reason, and every reason adds up to the total", () => {
    const report = runBacktest({
      engine: { ...engine, risk: { maxPositionNotional: 100 } },
      universe,
      ticks: simulatedTicks({ instruments, seed: 3 }, 20_000),
    });
    const [s] = report.strategies;
    expect(s!.rejected).toBeGreaterThan(0);
    expect(s!.rejectedByReason).toEqual({ "max-position": s!.rejected });
  });

  it("resamples equity to a period the run has enough of, and names it", () => {
    // 100,000 ticks over two symbols 50 ms apart: 2,500 s, about 41 minutes: 1-minute returns
    const report = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 4 }, 100_000) });
    const { performance: p } = report.strategies[0]!;
    expect(p.runMs).toBe(report.lastTs! - report.firstTs!);
    expect(p.returns).toMatchObject({ period: "1m", periods: Math.floor(p.runMs / 60_000) });
    expect(p.returns.annualisation).toBe(Math.sqrt(MS_PER_YEAR / 60_000));
    expect(p.sharpe.value === null ? p.sharpe.note : p.sharpe.value).not.toBeNull();
    // the round trips are the trade.closed events, counted and rated after fees
    const trades = report.strategies[0]!.trades;
    expect(trades.length).toBeGreaterThan(0);
    expect(p.trades).toBe(trades.length);
    expect(p.winRateNet).toBe(trades.filter((t) => t.netPnl > 0).length / trades.length);
    // the fills still give the turnover: each fill is at most tradeNotional (10,000) per signal, twice per reversal
    expect(p.turnover).toBeGreaterThan(0);
    expect(p.drawdown.maxDrawdown).toBeGreaterThan(0);
    expect(p.drawdown.maxDrawdown).toBeLessThanOrEqual(report.strategies[0]!.maxDrawdown);
  });

  it("says n/a rather than a ratio for a run too short for one", () => {
    // 40,000 ticks over two symbols 50 ms apart: 1,000 s less the first 50 ms, 16 whole minutes
    const report = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 4 }, 40_000) });
    const { performance: p } = report.strategies[0]!;
    expect(p.returns).toMatchObject({ period: "1m", periods: 16 });
    const na = { value: null, perPeriod: null, note: "n/a: 16 periods, need 30" };
    expect(p.sharpe).toEqual(na);
    expect(p.sortino).toEqual(na);
  });

  it("warns when the run has fewer bars than a strategy's warm-up", () => {
    // 500 quotes per symbol 50 ms apart, 50 ms .. 25 s: the quote at 25 s closes the 25th 1 s bar,
    // against sma-crossover's slow window of 30
    const closed: string[] = [];
    const short = runBacktest({
      engine: { ...engine, publishBars: ["1s"] },
      universe,
      ticks: simulatedTicks({ instruments, seed: 4 }, 1_000),
      onEvent: (e) => e.type === "bar.closed" && e.data.symbol === "AAPL" && closed.push(e.id),
    });
    expect(closed).toHaveLength(25);
    expect(short.strategies[0]!.warmup).toEqual({ bars: 30, barsInRun: 25 });
    expect(short.warnings).toEqual([
      "sma-crossover: the run has about 25 1s bars, fewer than its warm-up of 30: it cannot signal before that many, so its figures say little",
    ]);
    const long = runBacktest({ engine, universe, ticks: simulatedTicks({ instruments, seed: 4 }, 10_000) });
    expect(long.warnings).toEqual([]);
  });

  it("keeps a bounded, time-ordered sample of each symbol's mids, from the first quote's to the last's", () => {
    const ticks = [...simulatedTicks({ instruments, seed: 6 }, 60_000)];
    const report = runBacktest({ engine, universe, ticks });
    expect(report.prices.map((p) => p.symbol)).toEqual(["AAPL", "BTC-USD"]);
    for (const series of report.prices) {
      const own = ticks.filter((t) => t.symbol === series.symbol);
      const last = own.at(-1)!;
      expect(series.points.length).toBeLessThanOrEqual(MAX_PRICE_POINTS);
      expect(series.points.length).toBeGreaterThan(MAX_PRICE_POINTS / 2);
      expect(series.points.at(-1)!.ts).toBe(last.tsEvent);
      expect(series.points.at(-1)!.mid).toBeCloseTo((last.bid + last.ask) / 2, 9);
      for (let i = 1; i < series.points.length; i++)
        expect(series.points[i]!.ts).toBeGreaterThan(series.points[i - 1]!.ts);
      // the benchmark holds from the first mid to the last
      const bench = report.strategies[0]!.performance.symbols.find((s) => s.symbol === series.symbol)!.benchmark!;
      expect(bench.firstMid).toBeCloseTo((own[0]!.bid + own[0]!.ask) / 2, 9);
      expect(bench.lastMid).toBeCloseTo((last.bid + last.ask) / 2, 9);
    }
  });
});

describe("the mids kept for the chart", () => {
  const aapl = universe.get("AAPL");
  const tick = (tsEvent: number, bid = 100): QuoteTick => ({
    symbol: "AAPL",
    bid,
    ask: bid + 0.01,
    bidSize: 1,
    askSize: 1,
    seq: tsEvent,
    tsEvent,
    tsInit: tsEvent,
  });

  it("keeps the last quote of each bucket, doubling the buckets to stay within the limit", () => {
    // limit 4, quotes at 0..9 ms: 0,1,2,3 fit in 1 ms buckets; 4 makes five, so 2 ms buckets keep
    // 1, 3, 4; 5 replaces 4 (same bucket [4, 6)), 6 is new, 7 replaces it; 8 makes five again, so
    // 4 ms buckets keep 3, 7, 8; 9 replaces 8 ([8, 12))
    const trace = new MidTrace(aapl, 4);
    for (let ts = 0; ts < 10; ts++) trace.add(tick(ts, 100 + ts));
    expect(trace.series().points.map((p) => p.ts)).toEqual([3, 7, 9]);
    // (109 + 109.01) / 2, on the grid's half unit
    expect(trace.series().points.at(-1)!.mid).toBe(109.005);
    // a late quote (8.5 ms, after 9 ms) stays off the chart, but it is the run's last mid
    trace.add(tick(8.5, 120));
    expect(trace.series().points.map((p) => p.ts)).toEqual([3, 7, 9]);
    expect(trace.benchmark()).toEqual([{ symbol: "AAPL", firstMid: 100.005, lastMid: 120.005 }]);
  });
});
