import { describe, expect, it } from "vitest";
import { retryRetriable } from "../src/retry";

/** A clock that only moves when the code under test sleeps, so the test never waits. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return { sleeps, policy: { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) } };
}

const retriable = (message: string) => Object.assign(new Error(message), { retriable: true });

describe("retryRetriable", () => {
  it("retries retriable errors with doubling, capped backoff and returns the first success", async () => {
    const time = fakeTime();
    const seen: unknown[] = [];
    let calls = 0;
    const result = await retryRetriable(
      async () => {
        calls += 1;
        if (calls <= 5) throw retriable(`not coordinator ${calls}`);
        return "offsets";
      },
      (error) => seen.push(error),
      { ...time.policy, initialDelayMs: 100, maxDelayMs: 500 },
    );
    expect(result).toBe("offsets");
    expect(calls).toBe(6);
    expect(time.sleeps).toEqual([100, 200, 400, 500, 500]);
    expect(seen.map((e) => (e as Error).message)).toEqual([
      "not coordinator 1",
      "not coordinator 2",
      "not coordinator 3",
      "not coordinator 4",
      "not coordinator 5",
    ]);
  });

  it("throws a non-retriable error at once, without sleeping", async () => {
    const time = fakeTime();
    const fatal = Object.assign(new Error("group authorization failed"), { retriable: false });
    await expect(
      retryRetriable(
        () => Promise.reject(fatal),
        () => {},
        time.policy,
      ),
    ).rejects.toBe(fatal);
    await expect(
      retryRetriable(
        () => Promise.reject(new Error("plain")),
        () => {},
        time.policy,
      ),
    ).rejects.toThrow("plain");
    expect(time.sleeps).toEqual([]);
  });

  it("gives up with the last retriable error when the next attempt would pass the deadline", async () => {
    const time = fakeTime();
    let calls = 0;
    const attempt = retryRetriable(
      () => Promise.reject(retriable(`attempt ${(calls += 1)}`)),
      () => {},
      { ...time.policy, timeoutMs: 1_000, initialDelayMs: 100, maxDelayMs: 400 },
    );
    // sleeps 100, 200, 400 (t = 700); the next 400 would end at 1,100 > 1,000
    await expect(attempt).rejects.toThrow("attempt 4");
    expect(time.sleeps).toEqual([100, 200, 400]);
  });
});
