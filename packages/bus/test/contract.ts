import { afterEach, describe, expect, it } from "vitest";
import { tickValue, until } from "@tickflow/test-support";
import {
  decodeEvent,
  DecodeError,
  DLQ_HEADERS,
  toDlq,
  TOPIC_IDS,
  TOPICS,
  type Bus,
  type BusRecord,
  type OutgoingRecord,
  type Processor,
} from "../src";

/** Polls until an expectation of the contract holds (the assertion's message on timeout). */
const eventually = <T>(check: () => Promise<T> | T, timeoutMs: number) =>
  until("the bus contract's expectation", check, timeoutMs);

const tick = tickValue;

interface CounterState {
  count: number;
  seen: string[];
}

/**
 * The behaviour every Bus must have, run against the in-memory bus and a real Kafka broker.
 * `makeBus` gets a topic prefix unique to the test so runs never see each other's records.
 */
export function busContract(name: string, makeBus: (prefix: string) => Promise<Bus>, timeoutMs: number) {
  describe(`${name} bus contract`, () => {
    const open: { stop(): Promise<void> }[] = [];
    let bus: Bus;
    let n = 0;
    const fresh = async () => {
      n += 1;
      bus = await makeBus(`c${Date.now().toString(36)}${n}-`);
      await bus.ensureTopics();
      open.push({ stop: () => bus.close() });
      return bus;
    };

    afterEach(async () => {
      for (const o of open.splice(0).reverse()) await o.stop().catch(() => {});
    });

    it(
      "creates every registry topic with its partition count, idempotently",
      async () => {
        await fresh();
        await bus.ensureTopics();
        for (const id of TOPIC_IDS) {
          const offsets = await bus.offsets(id);
          expect(offsets.map((o) => o.partition)).toEqual([...Array(TOPICS[id].partitions).keys()]);
          expect(offsets.every((o) => o.high === "0")).toBe(true);
        }
      },
      timeoutMs,
    );

    it(
      "delivers published records to a subscriber in order per key, one partition per key",
      async () => {
        await fresh();
        const publisher = await bus.publisher();
        open.push({ stop: () => publisher.close() });
        const symbols = ["AAPL", "MSFT", "BTC-USD", "EUR-USD"];
        const out: OutgoingRecord[] = [];
        for (let seq = 1; seq <= 50; seq++)
          for (const s of symbols) out.push({ topic: "quotes", key: s, value: tick(s, seq) });
        await publisher.publish(out.slice(0, 100));
        await publisher.publish(out.slice(100));

        const received: BusRecord[] = [];
        const sub = await bus.subscribe({
          groupId: `g-${n}`,
          topics: ["quotes"],
          fromBeginning: true,
          onBatch: async (records) => void received.push(...records),
        });
        open.push(sub);
        await eventually(() => expect(received.length).toBe(200), timeoutMs);
        for (const s of symbols) {
          const mine = received.filter((r) => r.key === s);
          expect(mine.map((r) => decodeEvent(r.value).data)).toMatchObject(
            Array.from({ length: 50 }, (_, i) => ({ seq: i + 1 })),
          );
          expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
        }
        await eventually(async () => {
          const committed = await bus.groupOffsets(`g-${n}`, "quotes");
          const used = (await bus.offsets("quotes")).filter((h) => h.high !== "0");
          expect(used.length).toBeGreaterThan(1);
          for (const h of used) expect(committed.find((c) => c.partition === h.partition)?.offset).toBe(h.high);
        }, timeoutMs);
      },
      timeoutMs,
    );

    /** Ten records on strategy.risk.v1 (one partition), published together: offsets 0 to 9. */
    const tenOnRisk = async () => {
      const publisher = await bus.publisher();
      open.push({ stop: () => publisher.close() });
      await publisher.publish(
        Array.from({ length: 10 }, (_, i) => ({ topic: "risk" as const, key: "s", value: Buffer.from(String(i)) })),
      );
    };
    const committedOnRisk = async (groupId: string) => (await bus.groupOffsets(groupId, "risk"))[0]?.offset;

    it(
      "commits only what a batch resolved when it returns early, and delivers the rest again",
      async () => {
        await fresh();
        await tenOnRisk();
        const deliveries: string[][] = [];
        const groupId = `early-${n}`;
        const sub = await bus.subscribe({
          groupId,
          topics: ["risk"],
          fromBeginning: true,
          autoResolve: false,
          onBatch: async (records, control) => {
            deliveries.push(records.map((r) => r.offset));
            // the first delivery does four records and stops; later ones do all they get
            const upTo =
              deliveries.length === 1 ? records[Math.min(3, records.length - 1)]! : records[records.length - 1]!;
            control.resolveOffset(upTo.offset);
          },
        });
        open.push(sub);
        await eventually(async () => expect(await committedOnRisk(groupId)).toBe("10"), timeoutMs);
        const done = deliveries.flat();
        // what the first delivery resolved never came back; what it left came back next
        expect(deliveries[0]!.slice(0, 4)).toEqual(["0", "1", "2", "3"]);
        expect(deliveries[1]![0]).toBe("4");
        expect(done.filter((o) => Number(o) < 4)).toEqual(["0", "1", "2", "3"]);
        expect([...new Set(done)].sort((a, b) => Number(a) - Number(b))).toEqual(
          Array.from({ length: 10 }, (_, i) => String(i)),
        );
      },
      timeoutMs,
    );

    it(
      "commits a resolved record at once on commit(), before the batch returns",
      async () => {
        await fresh();
        await tenOnRisk();
        const groupId = `commit-${n}`;
        let seenMidBatch: string | undefined;
        const sub = await bus.subscribe({
          groupId,
          topics: ["risk"],
          fromBeginning: true,
          autoResolve: false,
          onBatch: async (records, control) => {
            if (seenMidBatch === undefined) {
              control.resolveOffset(records[0]!.offset);
              await control.commit();
              seenMidBatch = await committedOnRisk(groupId);
            }
            control.resolveOffset(records[records.length - 1]!.offset);
          },
        });
        open.push(sub);
        await eventually(async () => expect(await committedOnRisk(groupId)).toBe("10"), timeoutMs);
        expect(seenMidBatch).toBe("1");
      },
      timeoutMs,
    );

    it(
      "refuses to resolve an offset that is not in the batch",
      async () => {
        await fresh();
        await tenOnRisk();
        const errors: unknown[] = [];
        const sub = await bus.subscribe({
          groupId: `foreign-${n}`,
          topics: ["risk"],
          fromBeginning: true,
          onBatch: async (records, control) => {
            try {
              control.resolveOffset(String(Number(records[records.length - 1]!.offset) + 1));
            } catch (error) {
              errors.push(error);
            }
          },
        });
        open.push(sub);
        await eventually(() => expect(errors.length).toBeGreaterThan(0), timeoutMs);
        expect(String(errors[0])).toMatch(/is not in this batch/);
      },
      timeoutMs,
    );

    it(
      "gives each batch a time budget: slow work that heartbeats and stops at it is done exactly once",
      async () => {
        await fresh();
        await tenOnRisk();
        const groupId = `budget-${n}`;
        const handled: string[] = [];
        const budgets: number[] = [];
        let batches = 0;
        const sub = await bus.subscribe({
          groupId,
          topics: ["risk"],
          fromBeginning: true,
          autoResolve: false,
          batchBudgetMs: 250,
          onBatch: async (records, control) => {
            batches += 1;
            budgets.push(control.timeLeftMs());
            for (const record of records) {
              if (control.timeLeftMs() === 0 || !control.isRunning()) return;
              await new Promise((resolve) => setTimeout(resolve, 60));
              await control.heartbeat();
              handled.push(record.offset);
              control.resolveOffset(record.offset);
            }
          },
        });
        open.push(sub);
        await eventually(async () => expect(await committedOnRisk(groupId)).toBe("10"), timeoutMs);
        expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
        // 600 ms of work does not fit one 250 ms budget
        expect(batches).toBeGreaterThanOrEqual(2);
        for (const left of budgets) {
          expect(left).toBeGreaterThan(0);
          expect(left).toBeLessThanOrEqual(250);
        }
      },
      timeoutMs,
    );

    it(
      "tells a batch in flight that the subscription is stopping; what it did not resolve is delivered to the group again",
      async () => {
        await fresh();
        await tenOnRisk();
        const groupId = `stop-${n}`;
        let entered!: () => void;
        const inBatch = new Promise<void>((resolve) => (entered = resolve));
        let sawStop = false;
        const first = await bus.subscribe({
          groupId,
          topics: ["risk"],
          fromBeginning: true,
          autoResolve: false,
          onBatch: async (records, control) => {
            control.resolveOffset(records[0]!.offset);
            entered();
            while (control.isRunning()) await new Promise((resolve) => setTimeout(resolve, 20));
            sawStop = true;
          },
        });
        await inBatch;
        await first.stop();
        expect(sawStop).toBe(true);
        expect(await committedOnRisk(groupId)).toBe("1");

        const again: string[] = [];
        const second = await bus.subscribe({
          groupId,
          topics: ["risk"],
          fromBeginning: true,
          onBatch: async (records) => void again.push(...records.map((r) => r.offset)),
        });
        open.push(second);
        await eventually(() => expect(again).toEqual(Array.from({ length: 9 }, (_, i) => String(i + 1))), timeoutMs);
      },
      timeoutMs,
    );

    it(
      "runs a processor exactly once across restarts: outputs, state and offsets commit together",
      async () => {
        await fresh();
        const publisher = await bus.publisher();
        open.push({ stop: () => publisher.close() });
        const total = 300;
        const start = (restored: CounterState[]): Promise<Processor> => {
          let state: CounterState = { count: 0, seen: [] };
          return bus.runProcessor<CounterState>({
            groupId: `p-${n}`,
            inputs: ["quotes"],
            transactionalId: `p-${n}-tx`,
            stateKey: "counter",
            restore: (s) => {
              restored.push(structuredClone(s ?? { count: -1, seen: [] }));
              if (s) state = s;
            },
            process: (records) => {
              const outputs: OutgoingRecord[] = [];
              for (const r of records) {
                state.count += 1;
                const id = `${r.partition}@${r.offset}`;
                state.seen.push(id);
                outputs.push({ topic: "signals", key: r.key, value: Buffer.from(id) });
              }
              return { outputs };
            },
            snapshot: () => state,
          });
        };
        const sends = (from: number, to: number) =>
          publisher.publish(
            Array.from({ length: to - from }, (_, i) => ({
              topic: "quotes" as const,
              key: `S${(from + i) % 7}`,
              value: tick(`S${(from + i) % 7}`, from + i + 1),
            })),
          );

        const restores: CounterState[] = [];
        await sends(0, 150);
        const first = await start(restores);
        await eventually(async () => expect((await bus.readTail("signals", 1_000)).length).toBe(150), timeoutMs);
        await first.stop();

        await sends(150, total);
        const second = await start(restores);
        open.push(second);
        await eventually(async () => expect((await bus.readTail("signals", 1_000)).length).toBe(total), timeoutMs);
        // the restart saw exactly the state committed with the offsets it resumed from
        expect(restores[0]!.count).toBe(-1);
        expect(restores[1]!.count).toBe(150);
        const outputs = (await bus.readTail("signals", 1_000)).map((r) => r.value!.toString());
        expect(new Set(outputs).size).toBe(total);
        const inputs = (await bus.readTail("quotes", 1_000)).map((r) => `${r.partition}@${r.offset}`);
        expect(new Set(outputs)).toEqual(new Set(inputs));
      },
      timeoutMs * 2,
    );

    it(
      "fences a processor when another starts with the same transactional id: no output is lost or doubled",
      async () => {
        await fresh();
        const publisher = await bus.publisher();
        open.push({ stop: () => publisher.close() });
        const sends = (from: number, to: number) =>
          publisher.publish(
            Array.from({ length: to - from }, (_, i) => ({
              topic: "quotes" as const,
              key: `S${(from + i) % 5}`,
              value: tick(`S${(from + i) % 5}`, from + i + 1),
            })),
          );
        const start = () => {
          let state = { count: 0 };
          return bus.runProcessor<{ count: number }>({
            groupId: `f-${n}`,
            inputs: ["quotes"],
            transactionalId: `f-${n}-tx`,
            stateKey: "fenced",
            restore: (s) => void (state = s ?? state),
            process: (records) => {
              state.count += records.length;
              return {
                outputs: records.map((r) => ({
                  topic: "signals" as const,
                  key: r.key,
                  value: Buffer.from(`${r.partition}@${r.offset}`),
                })),
              };
            },
            snapshot: () => state,
          });
        };
        await sends(0, 100);
        const first = await start();
        const firstEnded = first.done.then(
          () => "stopped",
          () => "fenced",
        );
        await eventually(
          async () => expect((await bus.readTail("signals", 1_000)).length).toBeGreaterThan(0),
          timeoutMs,
        );
        const second = await start();
        open.push(second);
        await sends(100, 200);
        await eventually(async () => expect((await bus.readTail("signals", 1_000)).length).toBe(200), timeoutMs);
        const outputs = (await bus.readTail("signals", 1_000)).map((r) => r.value!.toString());
        expect(new Set(outputs).size).toBe(200);
        // the superseded instance cannot commit again: it ends (fenced) or is stopped here having done no harm
        await first.stop().catch(() => {});
        expect(["fenced", "stopped"]).toContain(await firstEnded);
      },
      timeoutMs * 2,
    );

    it(
      "routes a record that fails to decode to the DLQ with its origin in headers, and goes on",
      async () => {
        await fresh();
        const publisher = await bus.publisher();
        open.push({ stop: () => publisher.close() });
        await publisher.publish([
          { topic: "quotes", key: "AAPL", value: Buffer.from("{not json") },
          { topic: "quotes", key: "AAPL", value: tick("AAPL", 1) },
          {
            topic: "quotes",
            key: "AAPL",
            value: Buffer.from(
              JSON.stringify({ type: "quote.tick", version: 9, id: "x", ts: 1, source: "t", data: {} }),
            ),
          },
        ]);
        let good = 0;
        const processor = await bus.runProcessor<{ good: number }>({
          groupId: `d-${n}`,
          inputs: ["quotes"],
          transactionalId: `d-${n}-tx`,
          stateKey: "dlq-test",
          restore: () => {},
          process: (records) => {
            const outputs: OutgoingRecord[] = [];
            for (const r of records) {
              try {
                decodeEvent(r.value, ["quote.tick"]);
                good += 1;
              } catch (error) {
                if (!(error instanceof DecodeError)) throw error;
                outputs.push(toDlq(r, bus.topicName("quotes"), error.reason, error.message, "contract"));
              }
            }
            return { outputs };
          },
          snapshot: () => ({ good }),
        });
        open.push(processor);
        const dlq = await eventually(async () => {
          const records = await bus.readTail("dlq", 10);
          expect(records.length).toBe(2);
          return records;
        }, timeoutMs);
        expect(good).toBe(1);
        expect(dlq.map((r) => r.headers[DLQ_HEADERS.reason])).toEqual(["invalid-json", "unknown-version"]);
        expect(dlq[0]).toMatchObject({ key: "AAPL", value: Buffer.from("{not json") });
        expect(dlq[0]!.headers).toMatchObject({
          [DLQ_HEADERS.sourceTopic]: bus.topicName("quotes"),
          [DLQ_HEADERS.sourceOffset]: "0",
        });
        expect(dlq[0]!.headers[DLQ_HEADERS.error]).toMatch(/not JSON/);
        expect(dlq[0]!.headers[DLQ_HEADERS.sourcePartition]).toMatch(/^\d+$/);
      },
      timeoutMs,
    );

    it(
      "reads the tail of each partition, oldest first",
      async () => {
        await fresh();
        const publisher = await bus.publisher();
        open.push({ stop: () => publisher.close() });
        await publisher.publish(
          Array.from({ length: 30 }, (_, i) => ({ topic: "risk" as const, key: "s", value: Buffer.from(String(i)) })),
        );
        const tail = await bus.readTail("risk", 5);
        expect(tail.map((r) => r.value!.toString())).toEqual(["25", "26", "27", "28", "29"]);
        expect(await bus.readTail("bars", 5)).toEqual([]);
      },
      timeoutMs,
    );
  });
}
