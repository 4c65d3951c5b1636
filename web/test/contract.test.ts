import {
  AlertsSchema,
  BarsSchema,
  HealthSchema,
  InstrumentsSchema,
  OrdersSchema,
  PortfolioSchema,
  ProblemSchema,
  QuotesSchema,
  SignalsSchema,
  StrategiesSchema,
} from "@tickflow/gateway/schemas";
import { describe, expect, it } from "vitest";
import {
  alerts,
  bars,
  healthy,
  instruments,
  orders,
  portfolio,
  quotes,
  signals,
  strategies,
  strategyDown,
  upstreamTimeout,
} from "./fixtures";

/** The component tests' fixtures are only worth as much as their likeness to the API's answers. */
describe("the fixtures", () => {
  it.each([
    ["instruments", InstrumentsSchema, instruments],
    ["quotes", QuotesSchema, quotes],
    ["bars", BarsSchema, bars("AAPL", "1s", 6, 190)],
    ["signals", SignalsSchema, signals],
    ["orders", OrdersSchema, orders],
    ["strategies", StrategiesSchema, strategies],
    ["portfolio", PortfolioSchema, portfolio],
    ["alerts", AlertsSchema, alerts],
    ["health (up)", HealthSchema, healthy],
    ["health (down)", HealthSchema, strategyDown],
    ["problem", ProblemSchema, upstreamTimeout],
  ] as const)("%s match the gateway's response schema", (_name, schema, fixture) => {
    const result = schema.safeParse(fixture);

    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(fixture);
  });
});
