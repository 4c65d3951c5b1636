import { describe, expect, it } from "vitest";
import { dayChange, dayOpen, dayOpenRequests, utcDayStart } from "../src/api/queries";
import type { Bar } from "../src/api/types";
import { bars } from "./fixtures";

/** 2025-11-26T00:00:00.000Z and 2025-11-27T00:00:00.000Z, counted by hand: 20,418 and 20,419 days of 86,400,000 ms. */
const NOV_26 = 1_764_115_200_000;
const NOV_27 = 1_764_201_600_000;

describe("utcDayStart", () => {
  it("is the UTC midnight at or before the time, whatever the local time zone", () => {
    expect(NOV_26).toBe(20_418 * 86_400_000);
    expect(new Date(NOV_27).toISOString()).toBe("2025-11-27T00:00:00.000Z");
    // the day's last millisecond is still the 26th; midnight itself starts the 27th
    expect(utcDayStart(NOV_27 - 1)).toBe(NOV_26);
    expect(utcDayStart(NOV_27)).toBe(NOV_27);
    expect(utcDayStart(NOV_27 + 1)).toBe(NOV_27);
    // 23:30 in New York (UTC-5) on the 26th is 04:30 UTC on the 27th
    expect(utcDayStart(Date.parse("2025-11-26T23:30:00-05:00"))).toBe(NOV_27);
    // 00:30 in Paris (UTC+1) on the 27th is 23:30 UTC on the 26th
    expect(utcDayStart(Date.parse("2025-11-27T00:30:00+01:00"))).toBe(NOV_26);
  });
});

describe("dayOpenRequests", () => {
  it("asks for every 5m bar of the day, then for the 1m bars of its first five minutes", () => {
    const [fiveMinute, oneMinute] = dayOpenRequests(NOV_26).map((q) => Object.fromEntries(new URLSearchParams(q)));
    expect(fiveMinute).toEqual({ interval: "5m", from: String(NOV_26), to: String(NOV_27), limit: "288" });
    expect(oneMinute).toEqual({ interval: "1m", from: String(NOV_26), to: String(NOV_27), limit: "5" });
  });
});

describe("dayOpen", () => {
  const bar = (start: number, open: number): Bar => ({ ...bars("AAPL", "5m", 1, 0)[0]!, start, open });

  it("is the open of the day's earliest bar, not of the day before's", () => {
    const answer = [bar(NOV_26 - 300_000, 99), bar(NOV_26 + 600_000, 101), bar(NOV_26 + 300_000, 100.5)];
    expect(dayOpen(answer, NOV_26)).toBe(100.5);
    expect(dayOpen([bar(NOV_26, 100), ...answer], NOV_26)).toBe(100);
  });

  it("is null without a bar of the day", () => {
    expect(dayOpen([], NOV_26)).toBeNull();
    expect(dayOpen([bar(NOV_27, 100)], NOV_26)).toBeNull();
  });
});

describe("dayChange", () => {
  it("is the mid less the open, and that in percent to four decimals", () => {
    // 190.13 - 189.50 = 0.63; 0.63 / 189.5 = 0.33245...%
    const { change, changePct } = dayChange(190.13, 189.5);
    expect(change).toBeCloseTo(0.63, 10);
    expect(changePct).toBe(0.3325);
    expect(dayChange(100, 100)).toEqual({ change: 0, changePct: 0 });
  });
});
