import { describe, expect, it } from "vitest";
import { consumerLag, encodeEvent, MemoryBus, readEvents } from "../src";

const halt = (strategyId: string, ts: number) => ({
  type: "risk.halted" as const,
  id: `${strategyId}:risk:${ts}`,
  ts,
  data: {
    strategyId,
    reason: "max-drawdown" as const,
    drawdown: 0.2,
    limit: 0.1,
    equity: 80,
    peakEquity: 100,
    tsEvent: ts,
    tsInit: ts,
  },
});

describe("reading helpers", () => {
  it("reads the last events of a topic decoded, with their records, skipping what is not of the accepted types", async () => {
    const bus = new MemoryBus();
    const publisher = await bus.publisher();
    await publisher.publish([
      { topic: "risk", key: "a", value: encodeEvent(halt("a", 1), "test") },
      { topic: "risk", key: "a", value: Buffer.from("{not json") },
      {
        topic: "risk",
        key: "a",
        value: encodeEvent(
          { type: "risk.reset", id: "a:risk:2", ts: 2, data: { strategyId: "a", equity: 80, tsEvent: 2, tsInit: 2 } },
          "test",
        ),
      },
      { topic: "risk", key: "b", value: encodeEvent(halt("b", 3), "test") },
    ]);
    const read = await readEvents(bus, "risk", 10, ["risk.halted"]);
    expect(read.map(({ event, record }) => [event.id, record.key, record.offset])).toEqual([
      ["a:risk:1", "a", "0"],
      ["b:risk:3", "b", "3"],
    ]);
    expect((await readEvents(bus, "risk", 1, ["risk.halted", "risk.reset"])).map(({ event }) => event.id)).toEqual([
      "b:risk:3",
    ]);
  });

  it("measures a group's lag per partition, from the oldest retained record where it never committed", async () => {
    const bus = new MemoryBus();
    const publisher = await bus.publisher();
    await publisher.publish(
      [1, 2, 3].map((ts) => ({ topic: "risk", key: "a", value: encodeEvent(halt("a", ts), "test") })),
    );
    expect(await consumerLag(bus, "nobody", "risk")).toEqual([
      { partition: 0, committed: "-1", low: "0", high: "3", lag: 3n },
    ]);
    const seen: string[] = [];
    const sub = await bus.subscribe({
      groupId: "reader",
      topics: ["risk"],
      fromBeginning: true,
      onBatch: async (records) => void seen.push(...records.map((r) => r.offset)),
    });
    await expect.poll(() => seen.length).toBe(3);
    await expect.poll(async () => (await consumerLag(bus, "reader", "risk"))[0]!.lag).toBe(0n);
    await sub.stop();
  });
});
