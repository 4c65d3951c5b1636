import { describe, expect, it } from "vitest";
import { formatDuration } from "../src/format";

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [999, "999 ms"],
    [1_000, "1.0 s"],
    // cut, not rounded: 9.99 s never reads as 10 s
    [9_999, "9.9 s"],
    [10_000, "10 s"],
    [59_999, "59 s"],
    [60_000, "1m 00s"],
    // 3,661,000 ms = 1 h 1 min 1 s
    [3_661_000, "1h 01m"],
    [3_599_999, "59m 59s"],
    // 90,061,000 ms = 25 h 1 min 1 s
    [90_061_000, "1d 01h"],
  ])("gives %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
