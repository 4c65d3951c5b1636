import { describe, expect, it } from "vitest";
import { parseView, withView } from "../src/url-state";

describe("parseView", () => {
  it("reads the symbol, interval and strategy filter of a deep link", () => {
    expect(parseView("?symbol=MSFT&interval=5m&strategies=sma-crossover,breakout")).toEqual({
      symbol: "MSFT",
      interval: "5m",
      strategies: ["sma-crossover", "breakout"],
    });
  });

  it("leaves out an unknown interval and what is not there; an empty filter shows no strategy", () => {
    expect(parseView("?interval=2h")).toEqual({});
    expect(parseView("")).toEqual({});
    expect(parseView("?strategies=")).toEqual({ strategies: [] });
  });
});

describe("withView", () => {
  it("sets and removes the view's parameters and keeps the others", () => {
    expect(withView("?debug=1", { symbol: "AAPL", interval: "1m" })).toBe("?debug=1&symbol=AAPL&interval=1m");
    expect(withView("?symbol=AAPL&strategies=a,b", { strategies: undefined })).toBe("?symbol=AAPL");
    expect(withView("?strategies=a", { strategies: ["a", "b-c"] })).toBe("?strategies=a,b-c");
    expect(withView("?symbol=AAPL", { symbol: undefined })).toBe("");
  });

  it("round-trips through parseView", () => {
    const view = { symbol: "EUR-USD", interval: "5m", strategies: ["mean-reversion"] } as const;
    expect(parseView(withView("", view))).toEqual(view);
  });
});
