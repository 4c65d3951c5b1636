import { describe, expect, it } from "vitest";
import {
  BaseParamsSchema,
  STRATEGIES,
  TradingEngine,
  Universe,
  type EngineConfigInput,
  type EngineEvent,
  type OrderChange,
  type OrderRequest,
  type QuoteTick,
  type Strategy,
  type StrategyDefinition,
} from "../src";

const universe = new Universe();

/** What the test strategy does after the quote with that seq (so its orders meet the next quotes). */
type Action = { submit: OrderRequest } | { cancel: string } | { replace: [string, OrderChange] };
let script: Record<number, Action[]> = {};
const answers: unknown[] = [];

const orderer: StrategyDefinition = {
  kind: "orderer",
  description: "sends the orders the test script says, for tests",
  params: BaseParamsSchema,
  warmupBars: () => 0,
  create(): Strategy<null> {
    return {
      interval: "1m",
      state: null,
      onStart() {},
      onBar() {},
      onFill() {},
      onQuote(tick, ctx) {
        for (const action of script[tick.seq] ?? []) {
          if ("submit" in action) answers.push(ctx.submitOrder(action.submit));
          else if ("cancel" in action) answers.push(ctx.cancelOrder(action.cancel));
          else answers.push(ctx.replaceOrder(...action.replace));
        }
      },
    };
  },
};
const registry = new Map([...STRATEGIES, ["orderer", orderer]]);

/**
 * Runs the script over AAPL quotes given as [bid, ask, bidSize, askSize], one a second from
 * 1,000, and returns the order and trade events (not positions).
 */
function run(
  actions: Record<number, Action[]>,
  rows: [number, number, number, number][],
  execution: EngineConfigInput["execution"] = { takerFeeBps: 0 },
  more: Partial<EngineConfigInput> = {},
): EngineEvent[] {
  script = actions;
  answers.length = 0;
  const engine = new TradingEngine(
    { strategies: [{ id: "s", kind: "orderer", symbols: ["AAPL"] }], execution, ...more },
    universe,
    registry,
  );
  const ticks: QuoteTick[] = rows.map(([bid, ask, bidSize, askSize], i) => ({
    symbol: "AAPL",
    seq: i + 1,
    tsEvent: 1_000 * (i + 1),
    tsInit: 1_000 * (i + 1),
    bid,
    ask,
    bidSize,
    askSize,
  }));
  return ticks
    .flatMap((t) => {
      const outcome = engine.onQuote(t);
      return outcome.status === "applied" ? outcome.events : [];
    })
    .filter((e) => e.type.startsWith("order.") || e.type === "trade.closed");
}

const buy = (quantity: number, rest: Partial<OrderRequest> = {}): OrderRequest => ({
  symbol: "AAPL",
  side: "buy",
  quantity,
  type: "market",
  ...rest,
});
const sell = (quantity: number, rest: Partial<OrderRequest> = {}): OrderRequest => ({
  ...buy(quantity, rest),
  side: "sell",
});

/** The events in a compact form: type, then what each says. */
function story(events: EngineEvent[]): unknown[] {
  return events.map((e) => {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case "order.filled":
        return ["filled", d.orderId, d.quantity, d.price, d.liquidity, d.leavesQuantity];
      case "order.canceled":
        return ["canceled", d.orderId, d.reason, d.canceledQuantity];
      case "order.rejected":
        return ["rejected", d.orderId, d.reason];
      case "order.triggered":
        return ["triggered", d.orderId, d.touchPrice];
      case "order.replaced":
        return ["replaced", d.orderId, d.quantity, d.limitPrice];
      case "trade.closed":
        return ["trade", d.side, d.quantity, d.entryPrice, d.exitPrice, d.grossPnl];
      default:
        return [e.type.slice("order.".length), d.orderId];
    }
  });
}

describe("paper venue: market orders take the touch up to its displayed size", () => {
  it("fills 150 across two quotes showing 100 and 80, averaging the fills", () => {
    const events = run({ 1: [{ submit: buy(150) }] }, [
      [100, 100.01, 100, 100],
      [100.01, 100.02, 100, 100],
      [100.02, 100.03, 100, 80],
    ]);
    expect(story(events)).toEqual([
      ["submitted", "s:AAPL:1"],
      ["accepted", "s:AAPL:1"],
      ["filled", "s:AAPL:1", 100, 100.02, "taker", 50],
      ["filled", "s:AAPL:1", 50, 100.03, "taker", 0],
    ]);
    // (100 x 100.02 + 50 x 100.03) / 150 = 100.023333...
    expect(events[3]!.data).toMatchObject({ fillNo: 2, cumulativeQuantity: 150, averagePrice: 100.023333 });
    expect(events[3]!.id).toBe("s:AAPL:1:filled:2");
  });

  it("shares one quote's size between orders, oldest first", () => {
    const events = run({ 1: [{ submit: buy(80) }, { submit: buy(80) }] }, [
      [100, 100.01, 100, 100],
      [100, 100.01, 100, 100],
      [100, 100.01, 100, 100],
    ]);
    expect(story(events).filter((e) => (e as string[])[0] === "filled")).toEqual([
      ["filled", "s:AAPL:1", 80, 100.01, "taker", 0],
      ["filled", "s:AAPL:2", 20, 100.01, "taker", 60],
      ["filled", "s:AAPL:2", 60, 100.01, "taker", 0],
    ]);
  });

  it("cancels what an IOC's arrival quote left, and a FOK the quote cannot fill whole", () => {
    const rows: [number, number, number, number][] = [
      [100, 100.01, 100, 100],
      [100, 100.01, 100, 100],
      [100, 100.01, 100, 100],
    ];
    expect(story(run({ 1: [{ submit: buy(150, { timeInForce: "IOC" }) }] }, rows)).slice(2)).toEqual([
      ["filled", "s:AAPL:1", 100, 100.01, "taker", 50],
      ["canceled", "s:AAPL:1", "ioc-remainder", 50],
    ]);
    expect(story(run({ 1: [{ submit: buy(150, { timeInForce: "FOK" }) }] }, rows)).slice(2)).toEqual([
      ["canceled", "s:AAPL:1", "fok-unfillable", 150],
    ]);
    expect(story(run({ 1: [{ submit: buy(100, { timeInForce: "FOK" }) }] }, rows)).slice(2)).toEqual([
      ["filled", "s:AAPL:1", 100, 100.01, "taker", 0],
    ]);
  });

  it("slips beyond the touch by whole increments, rounded away from the order, and charges the taker fee", () => {
    // 5 bp of 100.02 is 0.05001: 6 increments; plus 1 tick: 100.02 + 0.07 = 100.09
    const events = run(
      { 1: [{ submit: buy(10) }] },
      [
        [100, 100.02, 100, 100],
        [100, 100.02, 100, 100],
      ],
      { takerFeeBps: 10, slippageBps: 5, slippageTicks: 1 },
    );
    // 10 x 100.09 = 1,000.90; 10 bp = 1.0009
    expect(events[2]!.data).toMatchObject({ price: 100.09, liquidity: "taker", fee: 1.0009 });
  });

  it("meets quotes only from its time plus the latency", () => {
    // sent at 1,000 with 1,500 ms: the quote at 2,000 is too early, the one at 3,000 fills it
    const events = run(
      { 1: [{ submit: buy(10) }] },
      [
        [100, 100.01, 100, 100],
        [100, 100.02, 100, 100],
        [100, 100.03, 100, 100],
      ],
      { latencyMs: 1_500 },
    );
    expect(events[2]!.data).toMatchObject({ price: 100.03, quoteSeq: 3 });
  });
});

describe("paper venue: limit orders", () => {
  it("takes at the touch when marketable on arrival, never beyond the limit", () => {
    const rows: [number, number, number, number][] = [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100],
    ];
    // a buy limit at 100.05 with the ask at 100.02: price improvement to the touch
    expect(run({ 1: [{ submit: buy(10, { type: "limit", limitPrice: 100.05 }) }] }, rows)[2]!.data).toMatchObject({
      price: 100.02,
      liquidity: "taker",
    });
    // 5 ticks of slippage would be 100.07: capped at the limit
    expect(
      run({ 1: [{ submit: buy(10, { type: "limit", limitPrice: 100.05 }) }] }, rows, { slippageTicks: 5 })[2]!.data,
    ).toMatchObject({ price: 100.05 });
  });

  it("rests, then fills at its price as maker when the touch reaches it or goes through, with the maker fee", () => {
    const events = run(
      { 1: [{ submit: buy(150, { type: "limit", limitPrice: 99.99 }) }] },
      [
        [100, 100.02, 100, 100],
        [100, 100.01, 100, 100], // arrives: not marketable, rests
        [99.98, 99.99, 100, 100], // the ask touches 99.99: 100 fill as maker
        [99.9, 99.95, 100, 100], // through it: the rest fills at 99.99, not 99.95
      ],
      { takerFeeBps: 10, makerFeeBps: 2 },
    );
    expect(story(events).slice(2)).toEqual([
      ["filled", "s:AAPL:1", 100, 99.99, "maker", 50],
      ["filled", "s:AAPL:1", 50, 99.99, "maker", 0],
    ]);
    // 100 x 99.99 = 9,999; 2 bp = 1.9998
    expect(events[2]!.data).toMatchObject({ fee: 1.9998 });
  });

  it("fills on an exact touch only with the fill-on-touch probability; through the price always", () => {
    const rows: [number, number, number, number][] = [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100],
      [99.98, 99.99, 100, 100],
      [99.97, 99.98, 100, 100],
    ];
    const events = run({ 1: [{ submit: buy(10, { type: "limit", limitPrice: 99.99 }) }] }, rows, {
      fillOnTouchProbability: 0,
    });
    expect(events[2]!.data).toMatchObject({ price: 99.99, quoteSeq: 4 });
  });

  it("refuses a post-only that would take, and never lets one take", () => {
    const rows: [number, number, number, number][] = [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100],
      [99.99, 100, 100, 100],
    ];
    const refused = run({ 1: [{ submit: buy(10, { type: "limit", limitPrice: 100.02, postOnly: true }) }] }, rows);
    expect(story(refused)).toEqual([["rejected", "s:AAPL:1", "post-only-would-take"]]);
    const rests = run({ 1: [{ submit: buy(10, { type: "limit", limitPrice: 100, postOnly: true }) }] }, rows);
    expect(story(rests).slice(2)).toEqual([["filled", "s:AAPL:1", 10, 100, "maker", 0]]);
  });

  it("expires a GTD order at its time, before it can fill", () => {
    const events = run(
      { 1: [{ submit: buy(10, { type: "limit", limitPrice: 99, timeInForce: "GTD", expireAt: 3_000 }) }] },
      [
        [100, 100.02, 100, 100],
        [100, 100.02, 100, 100],
        [98, 98.5, 100, 100], // at 3,000 it has expired: no fill at 98.5
      ],
    );
    expect(story(events).slice(2)).toEqual([["canceled", "s:AAPL:1", "expired", 10]]);
  });

  it("replaces price and quantity (losing its place), cancels on request, and says when the order is not working", () => {
    const events = run(
      {
        1: [
          { submit: buy(10, { type: "limit", limitPrice: 99.5 }) },
          { submit: buy(5, { type: "limit", limitPrice: 99 }) },
        ],
        2: [{ replace: ["s:AAPL:1", { limitPrice: 99.9, quantity: 20 }] }, { cancel: "s:AAPL:2" }],
        3: [{ cancel: "s:AAPL:2" }, { replace: ["s:AAPL:1", { limitPrice: 99.905 }] }],
      },
      [
        [100, 100.02, 100, 100],
        [100, 100.02, 100, 100],
        [99.8, 99.9, 100, 100], // the replaced order meets this quote marketable: takes 20 at 99.9
      ],
    );
    expect(story(events).slice(4)).toEqual([
      ["replaced", "s:AAPL:1", 20, 99.9],
      ["canceled", "s:AAPL:2", "requested", 5],
      ["filled", "s:AAPL:1", 20, 99.9, "taker", 0],
      // at seq 3 both are gone: the cancel finds nothing, the replace is refused as unknown
    ]);
    expect(answers).toEqual(["s:AAPL:1", "s:AAPL:2", true, true, false, false]);
    expect(events.find((e) => e.type === "order.replaced")!.id).toBe("s:AAPL:1:replaced:1");
  });
});

describe("paper venue: stops", () => {
  it("triggers a stop when the touch reaches it, then takes as a market order", () => {
    const events = run({ 1: [{ submit: buy(10, { type: "stop", stopPrice: 100.1 }) }] }, [
      [100, 100.02, 100, 100],
      [100.05, 100.07, 100, 100],
      [100.1, 100.12, 100, 100],
    ]);
    expect(story(events).slice(2)).toEqual([
      ["triggered", "s:AAPL:1", 100.12],
      ["filled", "s:AAPL:1", 10, 100.12, "taker", 0],
    ]);
  });

  it("triggers a stop-limit, which then rests at its limit until the touch comes back to it", () => {
    const events = run({ 1: [{ submit: sell(10, { type: "stop-limit", stopPrice: 99.9, limitPrice: 99.89 }) }] }, [
      [100, 100.02, 100, 100],
      [99.85, 99.87, 100, 100], // bid 99.85 <= 99.9: triggered; a sell limit at 99.89 is not marketable there
      [99.89, 99.91, 100, 100], // the bid reaches 99.89: fills as maker
    ]);
    expect(story(events).slice(2)).toEqual([
      ["triggered", "s:AAPL:1", 99.85],
      ["filled", "s:AAPL:1", 10, 99.89, "maker", 0],
    ]);
  });
});

describe("paper venue: reduce-only and brackets", () => {
  it("refuses a reduce-only order without a position, and never takes one through zero", () => {
    const refused = run({ 1: [{ submit: sell(10, { reduceOnly: true }) }] }, [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100],
    ]);
    expect(story(refused)).toEqual([["rejected", "s:AAPL:1", "reduce-only-no-position"]]);
    const events = run(
      { 1: [{ submit: buy(50) }], 2: [{ submit: sell(80, { type: "limit", limitPrice: 100.5, reduceOnly: true }) }] },
      [
        [100, 100.02, 100, 100],
        [100, 100.02, 100, 100], // the buy fills 50
        [100, 100.02, 100, 100], // the reduce-only sell arrives, rests
        [100.5, 100.52, 100, 100], // fills the 50 held, not 80
        [100.5, 100.52, 100, 100], // nothing left to reduce: canceled
      ],
    );
    expect(story(events).slice(5)).toEqual([
      ["filled", "s:AAPL:2", 50, 100.5, "maker", 30],
      ["trade", "long", 50, 100.02, 100.5, 24],
      ["canceled", "s:AAPL:2", "reduce-only", 30],
    ]);
  });

  it("places a partly filled entry's exits sized to what it filled, and cancels the other exit when one fills", () => {
    const entry = buy(150, {
      type: "limit",
      limitPrice: 100.02,
      timeInForce: "IOC",
      bracket: { takeProfit: 100.5, stopLoss: 99.5 },
    });
    const events = run({ 1: [{ submit: entry }] }, [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100], // 100 of 150 fill; the IOC remainder is canceled; exits for 100
      [100.2, 100.22, 100, 100], // the exits arrive: neither touched
      [100.5, 100.52, 60, 100], // the take-profit fills 60 at 100.5 as maker: the stop-loss is canceled
      [100.5, 100.52, 60, 100], // and the last 40
    ]);
    expect(story(events).slice(2)).toEqual([
      ["filled", "s:AAPL:1", 100, 100.02, "taker", 50],
      ["canceled", "s:AAPL:1", "ioc-remainder", 50],
      ["submitted", "s:AAPL:1:tp"],
      ["accepted", "s:AAPL:1:tp"],
      ["submitted", "s:AAPL:1:sl"],
      ["accepted", "s:AAPL:1:sl"],
      ["canceled", "s:AAPL:1:sl", "oco", 100],
      ["filled", "s:AAPL:1:tp", 60, 100.5, "maker", 40],
      ["filled", "s:AAPL:1:tp", 40, 100.5, "maker", 0],
      // 100 x (100.5 - 100.02)
      ["trade", "long", 100, 100.02, 100.5, 48],
    ]);
    expect(events[4]!.data).toMatchObject({
      type: "limit",
      side: "sell",
      quantity: 100,
      limitPrice: 100.5,
      reduceOnly: true,
      parentId: "s:AAPL:1",
      signalId: "bracket",
    });
    expect(events[6]!.data).toMatchObject({ type: "stop", stopPrice: 99.5, reduceOnly: true });
  });

  it("stops out a bracket when the stop-loss triggers first", () => {
    const events = run({ 1: [{ submit: buy(10, { bracket: { takeProfit: 101, stopLoss: 99.5 } }) }] }, [
      [100, 100.02, 100, 100],
      [100, 100.02, 100, 100], // the market entry fills 10: exits placed
      [99.5, 99.52, 100, 100], // bid 99.5 triggers the stop: sells at the bid
    ]);
    expect(story(events).slice(-4)).toEqual([
      ["triggered", "s:AAPL:1:sl", 99.5],
      ["canceled", "s:AAPL:1:tp", "oco", 10],
      ["filled", "s:AAPL:1:sl", 10, 99.5, "taker", 0],
      ["trade", "long", 10, 100.02, 99.5, -5.2],
    ]);
  });
});

describe("paper venue: a halt", () => {
  it("gives an entry whose fill halts the strategy no exits: the halt flattens it", () => {
    const events = run(
      { 1: [{ submit: buy(100, { bracket: { takeProfit: 110, stopLoss: 90 } }) }] },
      [
        [100, 100.02, 1_000, 1_000],
        // a wide quote: bought at 104, marked at 100.01, -399 on 100,000 is past a 0.3 % limit
        [96, 104.02, 1_000, 1_000],
        [100, 100.02, 1_000, 1_000],
      ],
      { takerFeeBps: 0 },
      { risk: { maxDrawdownPct: 0.003 }, quoteGuard: { maxSpreadBps: 1_000 } },
    );
    expect(story(events).slice(2)).toEqual([
      ["filled", "s:AAPL:1", 100, 104.02, "taker", 0],
      ["submitted", "s:AAPL:2"],
      ["accepted", "s:AAPL:2"],
      ["filled", "s:AAPL:2", 100, 100, "taker", 0],
      ["trade", "long", 100, 104.02, 100, -402],
    ]);
    expect(events.find((e) => e.type === "order.submitted" && e.id === "s:AAPL:2:submitted")!.data).toMatchObject({
      signalId: "risk-flatten",
    });
  });
});

describe("paper venue: what it refuses, with a stable reason", () => {
  const one: [number, number, number, number][] = [[100, 100.02, 100, 100]];
  it.each([
    [buy(10, { type: "limit", limitPrice: 100.005 }), "off-grid-price"],
    [buy(1.5), "off-grid-quantity"],
    [buy(0), "non-positive-quantity"],
    [buy(-3), "non-positive-quantity"],
    [buy(10, { type: "limit" }), "invalid-order"],
    [buy(10, { stopPrice: 100 }), "invalid-order"],
    [buy(10, { type: "limit", limitPrice: 99, timeInForce: "GTD" }), "invalid-order"],
    [buy(10, { type: "limit", limitPrice: 99, postOnly: true, timeInForce: "IOC" }), "invalid-order"],
    [buy(10, { type: "limit", limitPrice: 99, bracket: { takeProfit: 98 } }), "invalid-order"],
    [buy(10, { type: "limit", limitPrice: 99, bracket: { stopLoss: 99.5 } }), "invalid-order"],
    [buy(1_000), "max-position"],
  ])("%j: %s", (request, reason) => {
    const events = run({ 1: [{ submit: request }] }, one);
    expect(story(events)).toEqual([["rejected", "s:AAPL:1", reason]]);
  });
});

describe("paper venue: state", () => {
  it("keeps everything it works with in the engine snapshot: a restored engine fills alike", () => {
    script = {
      1: [
        { submit: buy(150, { type: "limit", limitPrice: 99.99 }) },
        { submit: sell(10, { type: "stop", stopPrice: 99.9 }) },
      ],
    };
    const config: EngineConfigInput = {
      strategies: [{ id: "s", kind: "orderer", symbols: ["AAPL"] }],
      execution: { fillOnTouchProbability: 0.5, latencyMs: 500 },
    };
    const rows = Array.from({ length: 40 }, (_, i): QuoteTick => {
      const bid = 99.95 + (i % 7) * 0.01;
      return {
        symbol: "AAPL",
        seq: i + 1,
        tsEvent: 1_000 * (i + 1),
        tsInit: 0,
        bid,
        ask: bid + 0.02,
        bidSize: 30,
        askSize: 30,
      };
    });
    const feed = (engine: TradingEngine, ticks: QuoteTick[]) =>
      ticks.flatMap((t) => {
        const o = engine.onQuote(t);
        return o.status === "applied" ? o.events : [];
      });
    const straight = feed(new TradingEngine(config, universe, registry), rows);
    expect(straight.filter((e) => e.type === "order.filled").length).toBeGreaterThan(2);
    for (const cut of [2, 5, 11]) {
      const first = new TradingEngine(config, universe, registry);
      const before = feed(first, rows.slice(0, cut));
      const second = new TradingEngine(config, universe, registry);
      second.restore(JSON.parse(JSON.stringify(first.snapshot())));
      expect([...before, ...feed(second, rows.slice(cut))]).toEqual(straight);
    }
  });
});
