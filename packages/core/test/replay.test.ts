import { describe, expect, it } from "vitest";
import { parseReplayCsv, ReplayError, Universe } from "../src";

const universe = new Universe();
const header = "symbol,tsEvent,bid,ask,bidSize,askSize";

function parse(text: string) {
  return [...parseReplayCsv(text.split("\n"), universe)];
}

function errorOf(text: string): ReplayError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ReplayError) return error;
    throw error;
  }
  throw new Error("expected a ReplayError");
}

describe("CSV replay", () => {
  it("reads rows into ticks with seq per symbol in file order", () => {
    const ticks = parse(
      [
        header,
        "AAPL,1000,190.01,190.03,100,200",
        "BTC-USD,1000,65000,65001.5,0.5,1",
        "AAPL,1050,190.02,190.04,100,100",
        "",
      ].join("\n"),
    );
    expect(ticks).toEqual([
      { symbol: "AAPL", tsEvent: 1000, tsInit: 1000, bid: 190.01, ask: 190.03, bidSize: 100, askSize: 200, seq: 1 },
      { symbol: "BTC-USD", tsEvent: 1000, tsInit: 1000, bid: 65000, ask: 65001.5, bidSize: 0.5, askSize: 1, seq: 1 },
      { symbol: "AAPL", tsEvent: 1050, tsInit: 1050, bid: 190.02, ask: 190.04, bidSize: 100, askSize: 100, seq: 2 },
    ]);
  });

  it("snaps prices to the instrument's increment", () => {
    const [tick] = parse([header, "EUR-USD,1,1.085004,1.085016,1000,1000"].join("\n"));
    expect(tick).toMatchObject({ bid: 1.085, ask: 1.08502 });
  });

  it.each([
    ["a wrong header", "sym,ts,bid,ask,bidSize,askSize\nAAPL,1,1,2,1,1", 1, "header"],
    ["a missing field", `${header}\nAAPL,1,190,190.1,5`, 2, "row"],
    ["an unknown symbol", `${header}\nAAPL,1,190,190.1,5,5\nXYZ,2,1,2,1,1`, 3, "symbol"],
    ["a non-numeric price", `${header}\nAAPL,1,abc,190.1,5,5`, 2, "bid"],
    ["a fractional timestamp", `${header}\nAAPL,1.5,190,190.1,5,5`, 2, "tsEvent"],
    ["time going backwards", `${header}\nAAPL,10,190,190.1,5,5\nAAPL,9,190,190.1,5,5`, 3, "tsEvent"],
    ["a crossed quote", `${header}\nAAPL,1,190.1,190,5,5`, 2, "ask"],
    ["a zero size", `${header}\nAAPL,1,190,190.1,0,5`, 2, "bidSize"],
    ["a price below one increment", `${header}\nAAPL,1,0.001,190.1,1,5`, 2, "bid"],
    ["an empty file", "", 1, "header"],
  ])("stops at %s, naming the line and field", (_what, text, line, field) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^line ${line}, field "${field}": `));
  });

  it("yields the rows before a bad one and nothing after it", () => {
    const seen: number[] = [];
    expect(() => {
      for (const tick of parseReplayCsv(
        [header, "AAPL,1,190,190.1,5,5", "AAPL,2,bad,190.1,5,5", "AAPL,3,190,190.1,5,5"],
        universe,
      ))
        seen.push(tick.tsEvent);
    }).toThrow(/line 3, field "bid"/);
    expect(seen).toEqual([1]);
  });
});
