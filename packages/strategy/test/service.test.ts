import { decodeEvent, encodeEvent, MemoryBus, type DecodedEvent, type OutgoingRecord } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import {
  MarketSimulator,
  STRATEGIES as STRATEGY_KINDS,
  Universe,
  type BarView,
  type OrderFilled,
  type PositionChanged,
  type QuoteTick,
  type SignalView,
  type StrategyDefinition,
  type StrategyDetailView,
  type StrategyView,
} from "@tickflow/core";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startStrategy, strategyWorkerConfig, type StrategyService } from "../src";
import { commandRecord as command, until } from "@tickflow/test-support";

const logger = pino({ level: "silent" });
const universe = new Universe();
const running: StrategyService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

const STRATEGIES = JSON.stringify([
  { id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 2, slow: 4 } },
]);

async function start(bus: MemoryBus, env: Record<string, string> = {}) {
  const metrics = new PrometheusMetrics();
  const service = await startStrategy({
    config: strategyWorkerConfig({ ST_HTTP_PORT: "0", ST_STRATEGIES: STRATEGIES, ...env }),
    bus,
    metrics,
    logger,
  });
  running.push(service);
  return { service, metrics, base: `http://127.0.0.1:${service.port}` };
}

function ticks(n: number): QuoteTick[] {
  const sim = new MarketSimulator({
    instruments: universe.select(["AAPL", "BTC-USD"]),
    seed: "svc",
    tickIntervalMs: 250,
  });
  return Array.from({ length: n }, () => sim.next());
}

async function publish(bus: MemoryBus, stream: QuoteTick[]) {
  const publisher = await bus.publisher();
  await publisher.publish(
    stream.map((t) => ({
      topic: "quotes",
      key: t.symbol,
      value: encodeEvent({ type: "quote.tick", id: `${t.symbol}:${t.seq}`, ts: t.tsEvent, data: t }, "test"),
    })),
  );
}

async function sendCommands(bus: MemoryBus, records: OutgoingRecord[]) {
  await (await bus.publisher()).publish(records);
}

const health = async (base: string) => (await (await fetch(`${base}/health`)).json()) as { ok: boolean; ticks: number };
const events = async (
  bus: MemoryBus,
  topic: "orders" | "trades" | "bars" | "signals" | "risk" | "positions" | "equity" | "commands",
): Promise<DecodedEvent[]> =>
  (await bus.readTail(topic, 1_000_000)).flatMap((r) => {
    try {
      return [decodeEvent(r.value)];
    } catch {
      return []; // what a test wrote to be dead-lettered
    }
  });
const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  expect([url, response.status]).toEqual([url, 200]);
  return (await response.json()) as T;
};
/** Every strategy's position in each of its symbols, as the worker serves them (GET /strategies). */
const servedPositions = async (base: string) =>
  (await getJson<StrategyView[]>(`${base}/strategies`)).flatMap((s) =>
    s.positions.map((p) => ({ strategyId: s.id, ...p })),
  );
/** The latest position.changed of each strategy and symbol on strategy.positions.v1, by key. */
const publishedPositions = async (bus: MemoryBus) =>
  new Map(
    (await events(bus, "positions")).map((e) => {
      const p = e.data as PositionChanged;
      return [`${p.strategyId}:${p.symbol}`, p];
    }),
  );

describe("strategy worker on the in-memory bus", () => {
  it("turns quotes into bars, signals, orders, fills and positions, and serves them", async () => {
    const bus = new MemoryBus();
    const { base, metrics } = await start(bus);
    await publish(bus, ticks(2_000));
    await until("2,000 ticks processed", async () => (await health(base)).ticks === 2_000, 10_000);

    const orders = await events(bus, "orders");
    const fills = orders.filter((e) => e.type === "order.filled");
    expect(fills.length).toBeGreaterThan(5);
    expect((await events(bus, "bars")).map((e) => e.type)).toContain("bar.closed");
    // strategy.positions.v1 is compacted: the latest snapshot per strategy and symbol remains, matching the engine's
    const positions = await publishedPositions(bus);
    const served = await servedPositions(base);
    expect([...positions.keys()].sort()).toEqual(["sma:AAPL", "sma:BTC-USD"]);
    expect(served.map((p) => `${p.strategyId}:${p.symbol}`).sort()).toEqual(["sma:AAPL", "sma:BTC-USD"]);
    for (const p of positions.values()) {
      const live = served.find((x) => x.strategyId === p.strategyId && x.symbol === p.symbol)!;
      // a position.changed is published on a fill; the marks move on after it, the position does not
      expect({ ...live, markPrice: 0, unrealizedPnl: 0 }).toEqual({
        strategyId: p.strategyId,
        symbol: p.symbol,
        quantity: p.quantity,
        averagePrice: p.averagePrice,
        costBasis: p.costBasis,
        realizedPnl: p.realizedPnl,
        fees: p.fees,
        markPrice: 0,
        unrealizedPnl: 0,
      });
    }
    expect(served.some((p) => p.quantity !== 0 || p.realizedPnl !== 0)).toBe(true);

    // signals: every one counted, and one symbol's in time order on the strategy's partition
    const signals = (await events(bus, "signals")).map((e) => e.data as SignalView);
    const aapl = signals.filter((s) => s.symbol === "AAPL");
    expect(aapl.length).toBeGreaterThanOrEqual(3);
    expect(signals.every((s) => s.strategyId === "sma")).toBe(true);
    for (let i = 1; i < aapl.length; i++) expect(aapl[i]!.tsEvent).toBeGreaterThanOrEqual(aapl[i - 1]!.tsEvent);
    // one strategy, one partition: the topic holds each order's events in the order of its lifecycle
    const lifecycle = new Map<string, DecodedEvent[]>();
    for (const e of orders) {
      const { orderId } = e.data as { orderId: string };
      lifecycle.set(orderId, [...(lifecycle.get(orderId) ?? []), e]);
    }
    for (const kind of ["submitted", "accepted", "filled"])
      expect(orders.filter((e) => e.type === `order.${kind}`).length, kind).toBeGreaterThan(5);
    for (const [orderId, history] of lifecycle) {
      expect(history[0]!.type, orderId).toBe("order.submitted");
      const fillsOfOrder = history.filter((e) => e.type === "order.filled").map((e) => e.data as OrderFilled);
      expect(
        fillsOfOrder.map((f) => f.fillNo),
        orderId,
      ).toEqual(fillsOfOrder.map((_, i) => i + 1));
      expect(fillsOfOrder.slice(0, -1).every((f) => f.leavesQuantity > 0)).toBe(true);
      for (let i = 1; i < history.length; i++)
        expect((history[i]!.data as { tsEvent: number }).tsEvent).toBeGreaterThanOrEqual(
          (history[i - 1]!.data as { tsEvent: number }).tsEvent,
        );
    }
    // an order counts as filled once, however many fills it took
    const exposition = (await metrics.exposition()).body.split("\n");
    const counted = (name: string, outcome: string) =>
      exposition
        .filter((l) => l.startsWith(`${name}{`) && l.includes(outcome))
        .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
    expect(counted("tickflow_orders_total", 'outcome="submitted"')).toBe(
      orders.filter((e) => e.type === "order.submitted").length,
    );
    expect(counted("tickflow_orders_total", 'outcome="filled"')).toBe(
      fills.filter((e) => (e.data as OrderFilled).leavesQuantity === 0).length,
    );
    expect(counted("tickflow_orders_total", 'outcome="filled"')).toBeLessThanOrEqual(fills.length);
    expect(counted("tickflow_signals_total", 'symbol="AAPL"')).toBe(aapl.length);
    expect(counted("tickflow_signals_total", 'strategy="sma"')).toBe(signals.length);
    expect((await events(bus, "trades")).map((e) => e.type)).toContain("trade.closed");
    // bars: one partition per symbol and interval, each in time order, one after another
    const bars = (await events(bus, "bars"))
      .map((e) => e.data as BarView)
      .filter((b) => b.symbol === "BTC-USD" && b.interval === "1s");
    expect(bars.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.start).toBeGreaterThanOrEqual(bars[i - 1]!.end);
    const strategy = await getJson<StrategyDetailView>(`${base}/strategies/sma`);
    expect(strategy.status).toBe("running");
    expect(strategy.portfolio.startingCash).toBe(100_000);
    expect(strategy.portfolio.equityCurve.length).toBeGreaterThan(10);
    expect(strategy.portfolio.positions).toEqual(served.map(({ strategyId: _id, ...p }) => p));
    // the combined portfolio is the read side's, from portfolio.sampled on strategy.equity.v1
    const samples = (await events(bus, "equity")).filter((e) => e.type === "portfolio.sampled");
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.every((e) => (e.data as { startingCash: number }).startingCash === 100_000)).toBe(true);
  });

  it("answers bad reads with problem+json: unknown strategy or route 404, a parameter it does not take 400", async () => {
    const { base } = await start(new MemoryBus());
    const cases: [string, number, string][] = [
      ["/strategies/nope", 404, "unknown-strategy"],
      ["/strategies?limit=1", 400, "invalid-parameter"],
      ["/strategies/sma?symbol=AAPL", 400, "invalid-parameter"],
      ["/nowhere", 404, "route-not-found"],
      // the read views are the read side's (the gateway's /api): the worker serves none of them
      ...["/signals", "/orders", "/risk", "/positions", "/portfolio", "/bars/AAPL"].map(
        (path): [string, number, string] => [path, 404, "route-not-found"],
      ),
    ];
    for (const [path, status, code] of cases) {
      const response = await fetch(`${base}${path}`);
      expect([path, response.status, response.headers.get("content-type")]).toEqual([
        path,
        status,
        "application/problem+json",
      ]);
      expect(await response.json()).toMatchObject({ status, code });
    }
  });

  it("dead-letters bad records with their origin and keeps going", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    const publisher = await bus.publisher();
    await publisher.publish([{ topic: "quotes", key: "AAPL", value: Buffer.from("nope") }]);
    await publish(bus, ticks(10));
    await until("10 ticks processed", async () => (await health(base)).ticks === 10, 10_000);
    const [dlq] = await bus.readTail("dlq", 10);
    expect(dlq!.headers).toMatchObject({
      "x-error-reason": "invalid-json",
      "x-source-topic": "md.quotes.v1",
      "x-source-offset": "0",
    });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /tickflow_dlq_messages_total\{topic="md.quotes.v1",reason="invalid-json"\} 1/,
    );
  });

  it("restarts from the committed snapshot: the same outputs as an uninterrupted run", async () => {
    const stream = ticks(3_000);
    const straight = new MemoryBus();
    const a = await start(straight);
    await publish(straight, stream);
    await until("straight run", async () => (await health(a.base)).ticks === 3_000, 10_000);

    const interrupted = new MemoryBus();
    const b = await start(interrupted);
    await publish(interrupted, stream.slice(0, 1_700));
    await until("first half", async () => (await health(b.base)).ticks === 1_700, 10_000);
    await b.service.stop();
    const c = await start(interrupted);
    expect((await health(c.base)).ticks).toBe(1_700);
    await publish(interrupted, stream.slice(1_700));
    await until("second half", async () => (await health(c.base)).ticks === 3_000, 10_000);

    const ids = async (bus: MemoryBus) => (await events(bus, "orders")).map((e) => e.id).sort();
    expect(await ids(interrupted)).toEqual(await ids(straight));
    expect(await servedPositions(c.base)).toEqual(await servedPositions(a.base));
    const published = await publishedPositions(interrupted);
    expect(published.size).toBeGreaterThan(0);
    expect(published).toEqual(await publishedPositions(straight));
  });

  it("applies a risk reset command inside the transaction that reads it, once however often it is sent", async () => {
    // Prepare: a drawdown limit so tight that the first losing mark halts the strategy
    const bus = new MemoryBus();
    const { base } = await start(bus, { ST_MAX_DRAWDOWN: "0.00001" });
    const stream = ticks(2_002);
    await publish(bus, stream.slice(0, 2_000));
    await until("a halt", async () => (await events(bus, "risk")).some((e) => e.type === "risk.halted"), 10_000);
    await until("2,000 ticks processed", async () => (await health(base)).ticks === 2_000, 10_000);
    const { portfolio } = (await (await fetch(`${base}/strategies/sma`)).json()) as {
      portfolio: { equity: number; halted: boolean };
    };
    expect(portfolio.halted).toBe(true);
    // Act: one command sent five times, and four more resets with their own ids
    const same = Array.from({ length: 5 }, () => command("reset-0001", "risk.reset", "sma", {}));
    const others = ["reset-0002", "reset-0003", "reset-0004", "reset-0005"].map((id) =>
      command(id, "risk.reset", "sma", {}),
    );
    await sendCommands(bus, [...same, ...others]);
    await publish(bus, stream.slice(2_000));
    await until("the outcomes", async () => (await events(bus, "commands")).length === 14, 10_000);
    await until("the last ticks processed", async () => (await health(base)).ticks === 2_002, 10_000);
    // Assess: one reset; the repeats of its id answered nothing; the later ones found nothing to reset
    const resets = (await events(bus, "risk")).filter((e) => e.type === "risk.reset");
    expect(resets).toHaveLength(1);
    expect(resets[0]).toMatchObject({ type: "risk.reset", data: { strategyId: "sma", equity: portfolio.equity } });
    const outcomes = (await events(bus, "commands")).filter(
      (e) => e.type === "command.applied" || e.type === "command.rejected",
    );
    expect(outcomes.map((e) => [e.type, e.data.commandId, "reason" in e.data ? e.data.reason : null])).toEqual([
      ["command.applied", "reset-0001", null],
      ["command.rejected", "reset-0002", "not-halted"],
      ["command.rejected", "reset-0003", "not-halted"],
      ["command.rejected", "reset-0004", "not-halted"],
      ["command.rejected", "reset-0005", "not-halted"],
    ]);
    expect(((await (await fetch(`${base}/strategies/sma`)).json()) as { status: string }).status).toBe("running");
  });

  it("adds, pauses, re-parameterizes and removes a strategy by command, and keeps the set across a restart", async () => {
    const bus = new MemoryBus();
    const a = await start(bus);
    await sendCommands(bus, [
      command("add-00001", "strategy.add", "bo", { kind: "breakout", symbols: ["AAPL"], params: { window: 30 } }),
      command("pause-0001", "strategy.pause", "bo", {}),
      command("params-001", "strategy.params", "sma", { params: { fast: 3 } }),
      command("params-002", "strategy.params", "sma", { params: { fast: 0 } }),
    ]);
    await until("the outcomes", async () => (await events(bus, "commands")).length === 8, 10_000);
    const served = async (base: string) =>
      (await getJson<StrategyView[]>(`${base}/strategies`)).map((s) => [
        s.id,
        s.status,
        s.params.fast ?? s.params.window,
      ]);
    expect(await served(a.base)).toEqual([
      ["sma", "running", 3],
      ["bo", "paused", 30],
    ]);
    const rejected = (await events(bus, "commands")).find((e) => e.type === "command.rejected");
    expect(rejected?.data).toMatchObject({ commandId: "params-002", reason: "invalid-params" });
    // Act: a restart: the committed state, not ST_STRATEGIES, says what runs
    await a.service.stop();
    running.splice(running.indexOf(a.service), 1);
    const b = await start(bus);
    expect(await served(b.base)).toEqual([
      ["sma", "running", 3],
      ["bo", "paused", 30],
    ]);
    await sendCommands(bus, [command("remove-001", "strategy.remove", "bo", {})]);
    await until("the removal", async () => (await events(bus, "commands")).length === 10, 10_000);
    expect(await served(b.base)).toEqual([["sma", "running", 3]]);
  });

  it("dead-letters a command it cannot read or that sits under another strategy's key, skips its own outcomes, and goes on", async () => {
    const bus = new MemoryBus();
    const { base, metrics } = await start(bus);
    const publisher = await bus.publisher();
    await publisher.publish([
      { topic: "commands", key: "sma", value: Buffer.from("{not json") },
      { ...command("moved-0001", "strategy.pause", "sma", {}), key: "other" },
      {
        topic: "commands",
        key: "sma",
        value: encodeEvent(
          {
            type: "command.applied",
            id: "x:applied",
            ts: 1,
            data: {
              commandId: "forged-001",
              kind: "strategy.pause",
              strategyId: "sma",
              orderId: null,
              tsEvent: 1,
              tsInit: 1,
            },
          },
          "test",
        ),
      },
      command("pause-0001", "strategy.pause", "sma", {}),
    ]);
    await until(
      "the pause",
      async () =>
        (await events(bus, "commands")).some((e) => e.type === "command.applied" && e.data.commandId === "pause-0001"),
      10_000,
    );
    const dlq = await bus.readTail("dlq", 100);
    expect(dlq.map((r) => r.headers["x-error-reason"]).sort()).toEqual(["invalid-json", "key-mismatch"]);
    expect((await getJson<StrategyView[]>(`${base}/strategies`))[0]!.status).toBe("paused");
    const text = (await metrics.exposition()).body;
    expect(text).toMatch(/tickflow_dlq_messages_total\{topic="strategy\.commands\.v1",reason="key-mismatch"\} 1/);
    expect(text).toMatch(/tickflow_commands_total\{kind="strategy\.pause",outcome="applied",reason=""\} 1/);
  });
});

describe("the worker's HTTP API", () => {
  it("is read only: the old reset route is gone, and a POST changes nothing", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    const answer = await fetch(`${base}/strategies/sma/reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect([404, 405]).toContain(answer.status);
    await publish(bus, ticks(4));
    await until("ticks after the refused request", async () => (await health(base)).ticks === 4, 10_000);
    expect(await events(bus, "risk")).toEqual([]);
  });
});

describe("configuration", () => {
  it("runs each strategy on a few symbols by default and names a bad variable", () => {
    expect(strategyWorkerConfig({}).engine.strategies.map((s) => s.id)).toEqual([
      "sma-crossover",
      "mean-reversion",
      "breakout",
    ]);
    expect(() => strategyWorkerConfig({ ST_STRATEGIES: "[{" })).toThrow(/ST_STRATEGIES: not JSON/);
    expect(() => strategyWorkerConfig({ ST_STRATEGIES: '[{"id":"x","kind":"nope","symbols":["AAPL"]}]' })).toThrow(
      /unknown strategy "nope"/,
    );
    expect(() => strategyWorkerConfig({ ST_MAX_DRAWDOWN: "2" })).toThrow(/ST_MAX_DRAWDOWN/);
  });
});

describe("quotes the engine cannot trade on", () => {
  it("dead-letters a price off the instrument's grid or too large to mark exactly, and keeps going", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    const [first] = ticks(1);
    const bad = [
      { ...first!, bid: 190.005, ask: 190.02 }, // off AAPL's cent grid
      // schema-valid (at most a billion), beyond exact marking on EUR-USD's 5-decimal grid (2e11 price units)
      { ...first!, symbol: "EUR-USD", bid: 2_000_000, ask: 2_000_000.00001 },
    ];
    await publish(bus, [...bad, ...ticks(4)]);
    await until("the good ticks processed", async () => (await health(base)).ticks === 4, 10_000);
    const dlq = await bus.readTail("dlq", 10);
    expect(dlq.map((r) => r.headers["x-error-reason"])).toEqual(["out-of-range", "out-of-range"]);
    expect(dlq[0]!.headers["x-error"]).toMatch(/bid 190.005 is not on AAPL's 0.01 price grid/);
    expect(dlq[1]!.headers["x-error"]).toMatch(/beyond the largest price/);
  });
});

describe("quotes that must not reach the engine", () => {
  /** A quote.tick envelope as raw bytes, so values the codec would refuse to publish can be sent. */
  const raw = (tick: Record<string, unknown>, key: string) => ({
    topic: "quotes" as const,
    key,
    value: Buffer.from(
      JSON.stringify({
        type: "quote.tick",
        version: 1,
        id: `${String(tick.symbol)}:${String(tick.seq)}`,
        ts: tick.tsEvent,
        source: "attacker",
        data: tick,
      }),
    ),
  });

  it("dead-letters each before it touches state or metrics, and the portfolio is what the genuine ticks make it", async () => {
    // Prepare: a clean run and one with hostile records woven in
    const stream = ticks(600);
    const clean = new MemoryBus();
    const cleanRun = await start(clean);
    const dirty = new MemoryBus();
    const dirtyRun = await start(dirty);
    const at = stream[300]!;
    const aapl = stream.filter((t) => t.symbol === "AAPL").at(-1)!;
    const hostile = [
      raw({ ...at, bidSize: 1e308, askSize: 1e308 }, at.symbol), // volume would become Infinity
      raw({ ...at, symbol: "ZZZZ" }, "ZZZZ"),
      raw({ ...at, seq: at.seq + 1 }, at.symbol === "AAPL" ? "BTC-USD" : "AAPL"), // keyed to another symbol's partition
      raw({ ...aapl, seq: aapl.seq + 100_000 }, "AAPL"),
      raw(
        {
          ...aapl,
          seq: aapl.seq + 1,
          tsEvent: aapl.tsEvent + 10 * 365 * 86_400_000,
          tsInit: aapl.tsEvent + 10 * 365 * 86_400_000,
        },
        "AAPL",
      ),
      raw(
        {
          ...aapl,
          seq: aapl.seq + 1,
          bid: Math.round(aapl.bid * 1_000) / 100,
          ask: Math.round(aapl.ask * 1_000) / 100 + 0.01,
        },
        "AAPL",
      ),
      raw({ ...aapl, seq: aapl.seq + 1, ask: Math.round(aapl.bid * 120) / 100 }, "AAPL"),
    ];
    const flood = Array.from({ length: 500 }, (_, i) => raw({ ...at, symbol: `FAKE${i}` }, `FAKE${i}`));
    // Act
    await publish(clean, stream);
    const publisher = await dirty.publisher();
    await publish(dirty, stream.slice(0, 301));
    await publisher.publish([...hostile.slice(0, 3), ...flood]);
    await publish(
      dirty,
      stream.slice(301).filter((t) => t !== aapl),
    );
    await publisher.publish(hostile.slice(3));
    await publish(dirty, [aapl]);
    await until(
      "both runs processed",
      async () => (await health(cleanRun.base)).ticks === 600 && (await health(dirtyRun.base)).ticks === 600,
      10_000,
    );
    // Assess
    const reasons = (await dirty.readTail("dlq", 1_000)).map((r) => r.headers["x-error-reason"]);
    // (partitions are processed in their own order: compare as sets)
    expect(reasons.filter((r) => r !== "unknown-symbol").sort()).toEqual([
      "abnormal-spread",
      "clock-skew",
      "invalid-data",
      "key-mismatch",
      "out-of-band",
      "seq-gap",
    ]);
    expect(reasons.filter((r) => r === "unknown-symbol")).toHaveLength(501);
    // per-symbol outcomes (cross-symbol ones such as the equity curve depend on how partitions interleave)
    expect(await servedPositions(dirtyRun.base)).toEqual(await servedPositions(cleanRun.base));
    const published = await publishedPositions(dirty);
    expect(published.size).toBeGreaterThan(0);
    expect(published).toEqual(await publishedPositions(clean));
    const ids = async (bus: MemoryBus) => (await events(bus, "orders")).map((e) => e.id).sort();
    expect((await ids(clean)).length).toBeGreaterThan(3);
    expect(await ids(dirty)).toEqual(await ids(clean));
    const metrics = await (await fetch(`${dirtyRun.base}/metrics`)).text();
    expect(metrics).not.toMatch(/FAKE|ZZZZ/);
    expect(metrics).toMatch(/tickflow_ticks_processed_total\{symbol="AAPL"\} 300/);
    expect(metrics).toMatch(/tickflow_dlq_messages_total\{topic="md.quotes.v1",reason="unknown-symbol"\} 501/);
    expect(metrics).toMatch(/tickflow_ticks_dropped_total\{kind="out-of-band"\} 1/);
    expect(metrics.length).toBeLessThan((await (await fetch(`${cleanRun.base}/metrics`)).text()).length + 2_000);
  });
});

describe("a record whose processing throws", () => {
  /** sma-crossover, except that it throws on a quote with a bid size of 4,242.42: a bug that one record triggers. */
  const fragile: StrategyDefinition = {
    ...STRATEGY_KINDS.get("sma-crossover")!,
    kind: "fragile",
    create(params, symbols) {
      const inner = STRATEGY_KINDS.get("sma-crossover")!.create(params, symbols);
      return {
        ...inner,
        get state() {
          return inner.state;
        },
        set state(value) {
          inner.state = value;
        },
        onQuote(tick, ctx) {
          if (tick.bidSize === 4_242.42) throw new RangeError("fragile strategy: bid size 4,242.42");
          inner.onQuote(tick, ctx);
        },
        onBar: (bar, ctx) => inner.onBar(bar, ctx),
        onFill: (fill, ctx) => inner.onFill(fill, ctx),
        onStart: (ctx) => inner.onStart(ctx),
      };
    },
  };
  const registry = new Map([...STRATEGY_KINDS, ["fragile", fragile]]);

  async function startFragile(bus: MemoryBus) {
    const config = strategyWorkerConfig({ ST_HTTP_PORT: "0", ST_STRATEGIES: STRATEGIES });
    config.engine = {
      ...config.engine,
      strategies: [{ id: "sma", kind: "fragile", symbols: ["AAPL", "BTC-USD"], params: { fast: 2, slow: 4 } }],
    };
    const service = await startStrategy({ config, bus, metrics: new PrometheusMetrics(), logger, registry });
    running.push(service);
    return `http://127.0.0.1:${service.port}`;
  }

  it("is dead-lettered with the error, the engine rolled back to before it, and the worker goes on", async () => {
    // Prepare: the same ticks with and without one poisoned record in the middle of a batch
    const stream = ticks(1_000);
    const poisoned = { ...stream[500]!, bidSize: 4_242.42 };
    const clean = new MemoryBus();
    const cleanBase = await startFragile(clean);
    const dirty = new MemoryBus();
    const dirtyBase = await startFragile(dirty);
    // Act
    await publish(clean, stream);
    await publish(dirty, [...stream.slice(0, 500), poisoned, ...stream.slice(500)]);
    await until(
      "both runs processed",
      async () => (await health(cleanBase)).ticks === 1_000 && (await health(dirtyBase)).ticks === 1_000,
      10_000,
    );
    // Assess: the poisoned record is in the DLQ, and everything else is as if it never came
    const dlq = await dirty.readTail("dlq", 10);
    expect(dlq.map((r) => r.headers["x-error-reason"])).toEqual(["processing-failed"]);
    expect(dlq[0]!.headers["x-error"]).toBe("fragile strategy: bid size 4,242.42");
    expect(decodeEvent(dlq[0]!.value).data).toMatchObject({ bidSize: 4_242.42, seq: poisoned.seq });
    const ids = async (bus: MemoryBus) => (await events(bus, "orders")).map((e) => e.id);
    expect((await ids(clean)).length).toBeGreaterThan(5);
    expect(await ids(dirty)).toEqual(await ids(clean));
    // a half-applied poisoned quote would have left its size in a bar and made the genuine quote of its seq a duplicate
    expect((await events(dirty, "bars")).map((e) => e.data)).toEqual((await events(clean, "bars")).map((e) => e.data));
    expect(await (await fetch(`${dirtyBase}/metrics`)).text()).not.toMatch(
      /tickflow_ticks_dropped_total\{kind="duplicate"/,
    );
    // the whole account, positions and equity curve, and what the read side's portfolio is made of
    expect(await getJson(`${dirtyBase}/strategies/sma`)).toEqual(await getJson(`${cleanBase}/strategies/sma`));
    const equity = async (bus: MemoryBus) =>
      (await events(bus, "equity")).map(({ type, id, data }) => ({ type, id, data }));
    expect((await equity(clean)).length).toBeGreaterThan(10);
    expect(await equity(dirty)).toEqual(await equity(clean));
    expect(await publishedPositions(dirty)).toEqual(await publishedPositions(clean));
    expect((await health(dirtyBase)).ok).toBe(true);
  });
});
