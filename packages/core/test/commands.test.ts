import { describe, expect, it } from "vitest";
import {
  CommandSubmittedSchema,
  STRATEGIES,
  TradingEngine,
  Universe,
  type CommandKind,
  type CommandSubmitted,
  type EngineEvent,
} from "../src";
import { quote, scripted } from "./helpers";

const universe = new Universe();

const registry = new Map([...STRATEGIES, ["scripted", scripted]]);

function engine(script: Record<string, string> = {}) {
  return new TradingEngine(
    { strategies: [{ id: "s1", kind: "scripted", symbols: ["AAPL"], params: { script, tradeNotional: 1_000 } }] },
    universe,
    registry,
  );
}

let counter = 0;
/** A command as the gateway sends it, checked against the event schema. */
function command(kind: CommandKind, strategyId: string, payload: object, commandId = `cmd-${++counter}-0000`) {
  return CommandSubmittedSchema.parse({
    commandId,
    kind,
    strategyId,
    payload,
    actor: { subject: "tess", username: "tess", role: "trader" },
    requestHash: "a".repeat(64),
    submittedAt: 50_000,
  }) as CommandSubmitted;
}

/** AAPL one quote a second from t0, bid/ask as given: each closes the previous 1s bar. */
let seq = 0;
const feed = (e: TradingEngine, prices: [number, number][], t0: number): EngineEvent[] =>
  prices.flatMap(([bid, ask], i) => {
    const outcome = e.onQuote(quote("AAPL", ++seq, t0 + i * 1_000, bid, ask, 100));
    return outcome.status === "applied" ? outcome.events : [];
  });
const fresh = () => {
  seq = 0;
};
const types = (events: EngineEvent[]) => events.map((e) => e.type);
const outcome = (events: EngineEvent[]) => events[events.length - 1]!;

describe("commands: manual orders", () => {
  it("submits a limit order at the engine's time, books its fill in the strategy's account, and names the order in the outcome", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    const events = e.onCommand(
      command("order.submit", "s1", {
        order: { symbol: "AAPL", side: "buy", quantity: 5, type: "limit", limitPrice: 99.5 },
      }),
    );
    expect(types(events)).toEqual(["order.submitted", "order.accepted", "command.applied"]);
    // the engine's time is the last quote's event time; tsInit is when it was submitted
    expect(outcome(events).data).toMatchObject({ orderId: "s1:AAPL:1", tsEvent: 1_000, tsInit: 50_000 });
    expect(events[0]!.data).toMatchObject({
      signalId: expect.stringMatching(/^command:cmd-/),
      limitPrice: 99.5,
      quantity: 5,
    });
    // the ask comes down to the limit: 5 shares bought at 99.50
    const fills = feed(e, [[99.4, 99.5]], 2_000).filter((x) => x.type === "order.filled");
    expect(fills.map((f) => [f.data.quantity, f.data.price])).toEqual([[5, 99.5]]);
    expect(e.portfolio("s1").positions.find((p) => p.symbol === "AAPL")!.quantity).toBe(5);
  });

  it("refuses an order the risk gate refuses (order-rejected, with the order's reason) and one for a symbol the strategy does not trade", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    // 1,000 shares at 100.02 = 100,020 > the 50,000 position limit
    const big = e.onCommand(
      command("order.submit", "s1", { order: { symbol: "AAPL", side: "buy", quantity: 1_000, type: "market" } }),
    );
    expect(types(big)).toEqual(["order.rejected", "command.rejected"]);
    expect(outcome(big).data).toMatchObject({
      reason: "order-rejected",
      orderId: "s1:AAPL:1",
      detail: expect.stringMatching(/^max-position: /),
    });
    const other = e.onCommand(
      command("order.submit", "s1", { order: { symbol: "MSFT", side: "buy", quantity: 1, type: "market" } }),
    );
    expect(types(other)).toEqual(["command.rejected"]);
    expect(outcome(other).data).toMatchObject({ reason: "unknown-symbol" });
  });

  it("cancels and replaces a working order, and refuses either for an order that is not working", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    e.onCommand(
      command("order.submit", "s1", {
        order: { symbol: "AAPL", side: "buy", quantity: 5, type: "limit", limitPrice: 99 },
      }),
    );
    const replaced = e.onCommand(
      command("order.replace", "s1", { orderId: "s1:AAPL:1", limitPrice: 98.5, quantity: 7 }),
    );
    expect(types(replaced)).toEqual(["order.replaced", "command.applied"]);
    expect(replaced[0]!.data).toMatchObject({ limitPrice: 98.5, quantity: 7 });
    const offGrid = e.onCommand(command("order.replace", "s1", { orderId: "s1:AAPL:1", limitPrice: 98.505 }));
    expect(outcome(offGrid).data).toMatchObject({
      reason: "order-rejected",
      detail: expect.stringMatching(/^off-grid-price/),
    });
    const canceled = e.onCommand(command("order.cancel", "s1", { orderId: "s1:AAPL:1" }));
    expect(types(canceled)).toEqual(["order.canceled", "command.applied"]);
    expect(canceled[0]!.data).toMatchObject({ reason: "requested", canceledQuantity: 7 });
    for (const kind of ["order.cancel", "order.replace"] as const) {
      const again = e.onCommand(
        command(kind, "s1", { orderId: "s1:AAPL:1", ...(kind === "order.replace" ? { quantity: 3 } : {}) }),
      );
      expect(outcome(again).data).toMatchObject({ reason: "unknown-order", orderId: "s1:AAPL:1" });
    }
  });

  it("leaves a person's order alone when the strategy's own signal cancels its working orders", () => {
    fresh();
    const e = engine({ "AAPL:1": "long" });
    feed(e, [[100, 100.02]], 1_000);
    e.onCommand(
      command("order.submit", "s1", {
        order: { symbol: "AAPL", side: "sell", quantity: 1, type: "limit", limitPrice: 150 },
      }),
    );
    const events = feed(e, [[100.5, 100.52]], 2_000);
    expect(types(events)).toContain("signal.generated");
    expect(events.filter((x) => x.type === "order.canceled")).toEqual([]);
  });
});

describe("commands: the strategy set", () => {
  it("answers a repeated command id once: the repeat is neither applied nor answered", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    const first = e.onCommand(command("strategy.pause", "s1", {}, "same-id-0001"));
    const before = e.snapshot();
    expect(e.onCommand(command("strategy.pause", "s1", {}, "same-id-0001"))).toEqual([]);
    expect(types(first)).toEqual(["command.applied"]);
    expect(e.snapshot()).toStrictEqual(before);
  });

  it("pauses: the signal is published but opens nothing, its resting entries are canceled, a person's order stays; resume trades again", () => {
    fresh();
    const e = engine({ "AAPL:1": "long", "AAPL:3": "long" });
    feed(e, [[100, 100.02]], 1_000);
    e.onCommand(
      command("order.submit", "s1", {
        order: { symbol: "AAPL", side: "buy", quantity: 1, type: "limit", limitPrice: 90 },
      }),
    );
    expect(types(e.onCommand(command("strategy.pause", "s1", {})))).toEqual(["command.applied"]);
    expect(outcome(e.onCommand(command("strategy.pause", "s1", {}))).data).toMatchObject({ reason: "already-paused" });
    expect(e.strategies()[0]).toMatchObject({ status: "paused", paused: true });
    const paused = feed(e, [[100.5, 100.52]], 2_000);
    expect(types(paused)).toEqual(["signal.generated"]);
    expect(types(e.onCommand(command("strategy.resume", "s1", {})))).toEqual(["command.applied"]);
    expect(outcome(e.onCommand(command("strategy.resume", "s1", {}))).data).toMatchObject({ reason: "not-paused" });
    // bar 3 closes at 4 s: the signal goes out as a market entry now
    const resumed = feed(
      e,
      [
        [101, 101.02],
        [101.5, 101.52],
      ],
      3_000,
    );
    expect(types(resumed)).toEqual(["signal.generated", "order.submitted", "order.accepted"]);
    // the person's resting buy at 90 is still there
    expect(e.snapshot().symbols.AAPL!.orders.map((o) => o.orderId)).toEqual(["s1:AAPL:1", "s1:AAPL:2"]);
  });

  it("changes parameters keeping the account and position, restarting the indicators, and refuses bad ones naming them", () => {
    fresh();
    const e = engine({ "AAPL:1": "long" });
    feed(
      e,
      [
        [100, 100.02],
        [100.5, 100.52],
        [101, 101.02],
      ],
      1_000,
    );
    const before = e.portfolio("s1");
    expect(before.positions.find((p) => p.symbol === "AAPL")!.quantity).toBe(9);
    const bad = e.onCommand(command("strategy.params", "s1", { params: { tradeNotional: -5 } }));
    expect(outcome(bad).data).toMatchObject({
      reason: "invalid-params",
      detail: expect.stringMatching(/tradeNotional/),
    });
    const ok = e.onCommand(command("strategy.params", "s1", { params: { tradeNotional: 2_000 } }));
    expect(types(ok)).toEqual(["command.applied"]);
    expect(e.strategies()[0]!.params).toMatchObject({ tradeNotional: 2_000, script: { "AAPL:1": "long" } });
    expect(e.portfolio("s1")).toEqual(before);
    // the bar counter started over: the script's first bar signals again, now sized by the new notional
    const next = feed(
      e,
      [
        [101.5, 101.52],
        [102, 102.02],
      ],
      4_000,
    );
    expect(types(next)).toContain("signal.generated");
  });

  it("adds a strategy (refusing a taken id, an unknown kind or symbol and bad parameters) and keeps the combined drawdown at zero", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    const add = (strategyId: string, payload: object) =>
      outcome(e.onCommand(command("strategy.add", strategyId, payload))).data;
    expect(add("s1", { kind: "scripted", symbols: ["AAPL"] })).toMatchObject({ reason: "strategy-exists" });
    expect(add("s2", { kind: "nope", symbols: ["AAPL"] })).toMatchObject({ reason: "unknown-kind" });
    expect(add("s2", { kind: "scripted", symbols: ["ZZZ"] })).toMatchObject({ reason: "unknown-symbol" });
    expect(add("s2", { kind: "breakout", symbols: ["AAPL"], params: { window: 2, exitWindow: 5 } })).toMatchObject({
      reason: "invalid-params",
    });
    expect(add("s2", { kind: "breakout", symbols: ["AAPL", "EUR-USD"], params: { window: 30 } })).not.toHaveProperty(
      "reason",
    );
    expect(e.strategies().map((s) => [s.id, s.kind, s.symbols])).toEqual([
      ["s1", "scripted", ["AAPL"]],
      ["s2", "breakout", ["AAPL", "EUR-USD"]],
    ]);
    expect(e.combinedPortfolio()).toMatchObject({ startingCash: 200_000, equity: 200_000, drawdown: 0 });
  });

  it("refuses to remove a strategy holding a position; flatten closes it at market; then remove drops it and its working orders", () => {
    fresh();
    const e = engine({ "AAPL:1": "long" });
    feed(
      e,
      [
        [100, 100.02],
        [100.5, 100.52],
        [101, 101.02],
      ],
      1_000,
    );
    expect(outcome(e.onCommand(command("strategy.remove", "s1", {}))).data).toMatchObject({ reason: "position-open" });
    expect(outcome(e.onCommand(command("strategy.flatten", "s1", { symbol: "MSFT" }))).data).toMatchObject({
      reason: "unknown-symbol",
    });
    const flatten = e.onCommand(command("strategy.flatten", "s1", {}));
    expect(types(flatten)).toEqual(["order.submitted", "order.accepted", "command.applied"]);
    expect(flatten[0]!.data).toMatchObject({ side: "sell", quantity: 9, type: "market" });
    feed(e, [[101.5, 101.52]], 4_000);
    expect(e.portfolio("s1").positions.find((p) => p.symbol === "AAPL")!.quantity).toBe(0);
    e.onCommand(
      command("order.submit", "s1", {
        order: { symbol: "AAPL", side: "buy", quantity: 1, type: "limit", limitPrice: 90 },
      }),
    );
    const removed = e.onCommand(command("strategy.remove", "s1", {}));
    expect(types(removed)).toEqual(["order.canceled", "command.applied"]);
    expect(e.strategies()).toEqual([]);
    expect(outcome(e.onCommand(command("strategy.pause", "s1", {}))).data).toMatchObject({
      reason: "unknown-strategy",
    });
    // the engine runs on without it
    expect(() => feed(e, [[102, 102.02]], 5_000)).not.toThrow();
  });

  it("refuses a risk reset of a strategy that is not halted", () => {
    fresh();
    const e = engine();
    expect(outcome(e.onCommand(command("risk.reset", "s1", {}))).data).toMatchObject({
      reason: "not-halted",
      tsEvent: 50_000,
    });
  });

  it("carries the strategy set, the pauses and the command memory through a snapshot, whatever the restoring engine's configuration", () => {
    fresh();
    const e = engine();
    feed(e, [[100, 100.02]], 1_000);
    e.onCommand(command("strategy.add", "s2", { kind: "scripted", symbols: ["AAPL"] }));
    e.onCommand(command("strategy.pause", "s2", {}, "pause-s2-01"));
    const other = new TradingEngine(
      { strategies: [{ id: "x", kind: "scripted", symbols: ["EUR-USD"] }] },
      universe,
      registry,
    );
    other.restore(JSON.parse(JSON.stringify(e.snapshot())));
    expect(other.strategies().map((s) => [s.id, s.status])).toEqual([
      ["s1", "running"],
      ["s2", "paused"],
    ]);
    expect(other.onCommand(command("strategy.pause", "s2", {}, "pause-s2-01"))).toEqual([]);
  });
});
