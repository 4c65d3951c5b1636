import { describe, expect, it } from "vitest";
import { MEMORY_RETENTION_RECORDS, MemoryBus } from "../src";
import { busContract } from "./contract";

busContract("in-memory", async (prefix) => new MemoryBus(prefix), 10_000);

describe("in-memory bus storage", () => {
  it("keeps only the latest record per key on a compacted topic, as broker compaction would", async () => {
    const bus = new MemoryBus();
    const publisher = await bus.publisher();
    for (let i = 0; i < 1_000; i++)
      await publisher.publish([{ topic: "state", key: "engine", value: Buffer.from(String(i)) }]);
    expect((await bus.readTail("state", 10_000)).map((r) => r.value!.toString())).toEqual(["999"]);
    expect(await bus.offsets("state")).toEqual([{ partition: 0, low: "999", high: "1000" }]);
  });

  it("bounds a deleting topic's partitions and moves a consumer behind the retained records up to them", async () => {
    const bus = new MemoryBus();
    const publisher = await bus.publisher();
    const total = MEMORY_RETENTION_RECORDS + 500;
    await publisher.publish(
      Array.from({ length: total }, (_, i) => ({ topic: "risk" as const, key: "s", value: Buffer.from(String(i)) })),
    );
    expect(await bus.offsets("risk")).toEqual([{ partition: 0, low: "500", high: String(total) }]);
    let first: string | null = null;
    let seen = 0;
    const subscription = await bus.subscribe({
      groupId: "g",
      topics: ["risk"],
      fromBeginning: true,
      onBatch: async (records) => {
        first ??= records[0]!.offset;
        seen += records.length;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await subscription.stop();
    expect(first).toBe("500");
    expect(seen).toBe(MEMORY_RETENTION_RECORDS);
  });
});
