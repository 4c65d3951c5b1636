import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MarketSimulator, TradingEngine, Universe, type EngineConfigInput, type EngineEvent, type EngineSnapshot, type QuoteTick } from "../src";

const universe = new Universe();

function run(engine: TradingEngine, ticks: readonly QuoteTick[]): EngineEvent[] {
  const events: EngineEvent[] = [];
  for (const t of ticks) {
    const outcome = engine.onQuote(t);
    if (outcome.status === "applied") events.push(...outcome.events);
  }
  return events;
}

describe("engine state: the version-1 snapshots committed Kafka state holds", () => {
  // the configuration and stream the fixture was written with (see its "about")
  const config: EngineConfigInput = {
    strategies: [
      { id: "sma", kind: "sma-crossover", symbols: ["AAPL", "BTC-USD"], params: { fast: 2, slow: 4 } },
      { id: "mr", kind: "mean-reversion", symbols: ["BTC-USD", "EUR-USD"], params: { window: 5, entryZ: 1.2, exitZ: 0.2 } },
    ],
    execution: { latencyTicks: 2 },
    publishBars: ["1s"],
    equityCurveLimit: 12,
  };
  const sim = new MarketSimulator({ instruments: universe.select(["AAPL", "BTC-USD", "EUR-USD"]), seed: 7, tickIntervalMs: 250 });
  const ticks = Array.from({ length: 400 }, () => sim.next());
  const fixture = JSON.parse(readFileSync(new URL("./fixtures/engine-snapshot-v1.json", import.meta.url), "utf8")) as { cut: number; snapshot: EngineSnapshot };

  it("continues from a version-1 snapshot exactly as an uninterrupted run does", () => {
    // Prepare: the fixture holds orders in flight, open positions and a trimmed equity curve
    expect(Object.values(fixture.snapshot.symbols).flatMap((s) => s.pending)).not.toHaveLength(0);
    const straight = new TradingEngine(config, universe);
    const events = run(straight, ticks);
    // Act
    const restored = new TradingEngine(config, universe);
    expect(restored.restore(fixture.snapshot)).toEqual([]);
    const after = run(restored, ticks.slice(fixture.cut));
    // Assess
    expect(after.filter((e) => e.type === "order.filled").length).toBeGreaterThan(0);
    expect(after).toEqual(events.slice(events.length - after.length));
    for (const id of ["sma", "mr"]) expect(restored.portfolio(id)).toEqual(straight.portfolio(id));
  });

  it("writes the version-1 format, byte for byte, at the same point of the same stream", () => {
    const engine = new TradingEngine(config, universe);
    run(engine, ticks.slice(0, fixture.cut));
    expect(JSON.stringify(engine.snapshot())).toBe(JSON.stringify(fixture.snapshot));
  });
});
