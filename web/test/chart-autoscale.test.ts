import { describe, expect, it } from "vitest";
import { withMarkerPrices } from "../src/charts/candlestick-chart";

describe("the price scale's range with the fills drawn at their price", () => {
  it("widens the candles' range to a fill below it, keeps its top and margins", () => {
    const candles = { priceRange: { minValue: 100, maxValue: 101 }, margins: { above: 4, below: 4 } };

    expect(withMarkerPrices(candles, [99.5, 100.5])).toEqual({
      priceRange: { minValue: 99.5, maxValue: 101 },
      margins: { above: 4, below: 4 },
    });
  });

  it("is the fills' range where the candles have none, and the candles' where no fill is visible", () => {
    expect(withMarkerPrices(null, [65_010, 65_040.5])).toEqual({
      priceRange: { minValue: 65_010, maxValue: 65_040.5 },
    });
    const candles = { priceRange: { minValue: 1, maxValue: 2 } };
    expect(withMarkerPrices(candles, [])).toBe(candles);
  });
});
