import {
  AlertsSchema,
  BarsSchema,
  CommandAcceptedSchema,
  CommandViewSchema,
  FillPageSchema,
  HealthSchema,
  InstrumentsSchema,
  OrderPageSchema,
  PortfolioSchema,
  ProblemSchema,
  QuotesSchema,
  SignalPageSchema,
  StrategiesSchema,
  StrategyKindsSchema,
  TokenSchema,
  TradePageSchema,
} from "@tickflow/gateway/schemas";
import { MeanReversionParamsSchema, SmaCrossoverParamsSchema } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  alerts,
  appliedCommand,
  bars,
  databaseDown,
  fills,
  healthy,
  instruments,
  meanReversionKind,
  smaCrossoverKind,
  orders,
  pageAnswer,
  portfolio,
  quotes,
  readSideEmpty,
  signals,
  strategies,
  strategyDown,
  strategyKinds,
  token,
  accepted,
  tradeHistory,
  trades,
  upstreamTimeout,
} from "./fixtures";

const lastPage = <T>(items: T[]) => ({ items, next: null });

/** The component tests' fixtures are only worth as much as their likeness to the API's answers. */
describe("the fixtures", () => {
  it.each([
    ["instruments", InstrumentsSchema, instruments],
    ["quotes", QuotesSchema, quotes],
    ["bars", BarsSchema, bars("AAPL", "1s", 6, 190)],
    ["signals", SignalPageSchema, lastPage(signals)],
    ["orders", OrderPageSchema, lastPage(orders)],
    ["fills", FillPageSchema, lastPage(fills)],
    ["trades", TradePageSchema, lastPage(trades)],
    ["a trade history", TradePageSchema, lastPage(tradeHistory(3))],
    ["strategies", StrategiesSchema, strategies],
    ["portfolio", PortfolioSchema, portfolio],
    ["alerts", AlertsSchema, alerts],
    ["strategy kinds", StrategyKindsSchema, strategyKinds],
    ["a command", CommandViewSchema, appliedCommand],
    ["a 202", CommandAcceptedSchema, accepted],
    ["a token", TokenSchema, token],
    ["health (up)", HealthSchema, healthy],
    ["health (strategy down)", HealthSchema, strategyDown],
    ["health (database down)", HealthSchema, databaseDown],
    ["problem", ProblemSchema, upstreamTimeout],
    ["problem (read side empty)", ProblemSchema, readSideEmpty],
  ] as const)("%s match the gateway's response schema", (_name, schema, fixture) => {
    const result = schema.safeParse(fixture);

    expect(result.error?.issues ?? []).toEqual([]);
    expect(result.data).toEqual(fixture);
  });

  it("give each strategy kind's parameters as the gateway does: z.toJSONSchema of the kind's schema (input form) without $schema", () => {
    const jsonSchema = (schema: z.ZodType) => {
      const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input" });
      return rest;
    };
    expect(smaCrossoverKind.params).toEqual(jsonSchema(SmaCrossoverParamsSchema));
    expect(meanReversionKind.params).toEqual(jsonSchema(MeanReversionParamsSchema));
  });

  it("cut pages as the API does: a page with a next cursor, then the last page with next null", () => {
    const history = tradeHistory(5);
    const url = new URL("http://dashboard.test/api/trades?limit=3");

    const first = pageAnswer(history, url, (t) => t.tradeId);
    const firstBody = TradePageSchema.parse(first.body);
    url.searchParams.set("cursor", firstBody.next!);
    const second = TradePageSchema.parse(pageAnswer(history, url, (t) => t.tradeId).body);

    expect(firstBody.items.map((t) => t.tradeId)).toEqual(history.slice(0, 3).map((t) => t.tradeId));
    expect(firstBody.next).toEqual(expect.any(String));
    expect(second).toEqual({ items: history.slice(3), next: null });
  });
});
