import { decodeEvent, encodeEvent, MemoryBus, type DecodedEvent } from "@tickflow/bus";
import { PrometheusMetrics } from "@tickflow/metrics";
import { MarketSimulator, Universe, type QuoteTick } from "@tickflow/core";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startStrategy, strategyWorkerConfig, type StrategyService } from "../src";

const logger = pino({ level: "silent" });
const universe = new Universe();
const running: StrategyService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

const STRATEGIES = JSON.stringify([{ id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 2, slow: 4 } }]);

async function start(bus: MemoryBus, env: Record<string, string> = {}) {
  const service = await startStrategy({ config: strategyWorkerConfig({ ST_HTTP_PORT: "0", ST_STRATEGIES: STRATEGIES, ...env }), bus, metrics: new PrometheusMetrics(), logger });
  running.push(service);
  return { service, base: `http://127.0.0.1:${service.port}` };
}

function ticks(n: number): QuoteTick[] {
  const sim = new MarketSimulator({ instruments: universe.select(["AAPL", "BTC-USD"]), seed: "svc", tickIntervalMs: 250 });
  return Array.from({ length: n }, () => sim.next());
}

async function publish(bus: MemoryBus, stream: QuoteTick[]) {
  const publisher = await bus.publisher();
  await publisher.publish(stream.map((t) => ({ topic: "quotes", key: t.symbol, value: encodeEvent({ type: "quote.tick", id: `${t.symbol}:${t.seq}`, ts: t.tsEvent, data: t }, "test") })));
}

async function until(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const health = async (base: string) => (await (await fetch(`${base}/health`)).json()) as { ok: boolean; ticks: number };
const events = async (bus: MemoryBus, topic: "orders" | "bars" | "signals" | "risk" | "positions"): Promise<DecodedEvent[]> => (await bus.readTail(topic, 1_000_000)).map((r) => decodeEvent(r.value));

describe("strategy worker on the in-memory bus", () => {
  it("turns quotes into bars, signals, orders, fills and positions, and serves them", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    await publish(bus, ticks(2_000));
    await until(async () => (await health(base)).ticks === 2_000, "2,000 ticks processed");

    const orders = await events(bus, "orders");
    const fills = orders.filter((e) => e.type === "order.filled");
    expect(fills.length).toBeGreaterThan(5);
    expect((await events(bus, "bars")).map((e) => e.type)).toContain("bar.closed");
    // strategy.positions.v1 is compacted: the latest snapshot per strategy and symbol remains, matching the read API
    const positions = (await events(bus, "positions")).map((e) => e.data as { strategyId: string; symbol: string; quantity: number });
    const served = (await (await fetch(`${base}/positions`)).json()) as { strategyId: string; symbol: string; quantity: number }[];
    expect(positions.map((p) => `${p.strategyId}:${p.symbol}`).sort()).toEqual(["sma:AAPL", "sma:BTC-USD"]);
    for (const p of positions) expect(served.find((x) => x.symbol === p.symbol)?.quantity).toBe(p.quantity);

    const signals = (await (await fetch(`${base}/signals?symbol=AAPL&limit=3`)).json()) as { symbol: string; tsEvent: number }[];
    expect(signals.length).toBe(3);
    expect(signals.every((s) => s.symbol === "AAPL")).toBe(true);
    expect(signals[0]!.tsEvent).toBeGreaterThanOrEqual(signals[1]!.tsEvent);
    const filled = (await (await fetch(`${base}/orders?type=filled&strategy=sma&limit=500`)).json()) as { type: string }[];
    expect(filled.length).toBe(fills.length);
    const bars = (await (await fetch(`${base}/bars/BTC-USD?interval=1s&limit=10`)).json()) as { start: number }[];
    expect(bars).toHaveLength(10);
    expect(bars[0]!.start).toBeLessThan(bars[9]!.start);
    const strategy = (await (await fetch(`${base}/strategies/sma`)).json()) as { status: string; portfolio: { equityCurve: unknown[] } };
    expect(strategy.status).toBe("running");
    expect(strategy.portfolio.equityCurve.length).toBeGreaterThan(10);
    const portfolio = (await (await fetch(`${base}/portfolio`)).json()) as { equity: number; startingCash: number; equityCurve: unknown[] };
    expect(portfolio.startingCash).toBe(100_000);
    expect(portfolio.equityCurve.length).toBeGreaterThan(10);
  });

  it("answers bad reads with problem+json: unknown strategy 404, bad interval or limit 400", async () => {
    const { base } = await start(new MemoryBus());
    const cases: [string, number, string][] = [
      ["/strategies/nope", 404, "unknown-strategy"],
      ["/bars/AAPL?interval=2m", 400, "invalid-interval"],
      ["/bars/NOPE", 404, "unknown-symbol"],
      ["/signals?limit=0", 400, "invalid-limit"],
      ["/orders?limit=abc", 400, "invalid-limit"],
      ["/nowhere", 404, "route-not-found"],
    ];
    for (const [path, status, code] of cases) {
      const response = await fetch(`${base}${path}`);
      expect([path, response.status, response.headers.get("content-type")]).toEqual([path, status, "application/problem+json"]);
      expect(await response.json()).toMatchObject({ status, code });
    }
  });

  it("dead-letters bad records with their origin and keeps going", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    const publisher = await bus.publisher();
    await publisher.publish([{ topic: "quotes", key: "AAPL", value: Buffer.from("nope") }]);
    await publish(bus, ticks(10));
    await until(async () => (await health(base)).ticks === 10, "10 ticks processed");
    const [dlq] = await bus.readTail("dlq", 10);
    expect(dlq!.headers).toMatchObject({ "x-error-reason": "invalid-json", "x-source-topic": "md.quotes.v1", "x-source-offset": "0" });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/tickflow_dlq_messages_total\{topic="md.quotes.v1",reason="invalid-json"\} 1/);
  });

  it("restarts from the committed snapshot: the same outputs as an uninterrupted run", async () => {
    const stream = ticks(3_000);
    const straight = new MemoryBus();
    const a = await start(straight);
    await publish(straight, stream);
    await until(async () => (await health(a.base)).ticks === 3_000, "straight run");

    const interrupted = new MemoryBus();
    const b = await start(interrupted);
    await publish(interrupted, stream.slice(0, 1_700));
    await until(async () => (await health(b.base)).ticks === 1_700, "first half");
    await b.service.stop();
    const c = await start(interrupted);
    expect((await health(c.base)).ticks).toBe(1_700);
    await publish(interrupted, stream.slice(1_700));
    await until(async () => (await health(c.base)).ticks === 3_000, "second half");

    const ids = async (bus: MemoryBus) => (await events(bus, "orders")).map((e) => e.id).sort();
    expect(await ids(interrupted)).toEqual(await ids(straight));
    expect(await (await fetch(`${c.base}/positions`)).json()).toEqual(await (await fetch(`${a.base}/positions`)).json());
  });

  it("applies a risk reset inside the next transaction", async () => {
    const bus = new MemoryBus();
    const { base } = await start(bus);
    const accepted = await fetch(`${base}/strategies/sma/reset`, { method: "POST" });
    expect(accepted.status).toBe(202);
    await publish(bus, ticks(2));
    await until(async () => (await events(bus, "risk")).length === 1, "risk.reset published");
    expect((await events(bus, "risk"))[0]).toMatchObject({ type: "risk.reset", data: { strategyId: "sma", equity: 100_000 } });
  });
});

describe("configuration", () => {
  it("runs each strategy on a few symbols by default and names a bad variable", () => {
    expect(strategyWorkerConfig({}).engine.strategies.map((s) => s.id)).toEqual(["sma-crossover", "mean-reversion", "breakout"]);
    expect(() => strategyWorkerConfig({ ST_STRATEGIES: "[{" })).toThrow(/ST_STRATEGIES: not JSON/);
    expect(() => strategyWorkerConfig({ ST_STRATEGIES: '[{"id":"x","kind":"nope","symbols":["AAPL"]}]' })).toThrow(/unknown strategy "nope"/);
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
      { ...first!, bid: 1e13, ask: 1e13 + 1 }, // schema-valid, beyond exact marking
    ];
    await publish(bus, [...bad, ...ticks(4)]);
    await until(async () => (await health(base)).ticks === 4, "the good ticks processed");
    const dlq = await bus.readTail("dlq", 10);
    expect(dlq.map((r) => r.headers["x-error-reason"])).toEqual(["out-of-range", "out-of-range"]);
    expect(dlq[0]!.headers["x-error"]).toMatch(/bid 190.005 is not on AAPL's 0.01 price grid/);
    expect(dlq[1]!.headers["x-error"]).toMatch(/beyond the largest price/);
  });
});
