import {
  AlertsSchema,
  BarsSchema,
  FillPageSchema,
  HealthSchema,
  InstrumentsSchema,
  OrderPageSchema,
  PortfolioSchema,
  ProblemSchema,
  QuotesSchema,
  SignalPageSchema,
  StrategiesSchema,
  TradePageSchema,
} from "@tickflow/gateway/schemas";
import { describe, expect, it } from "vitest";
import {
  alerts,
  bars,
  databaseDown,
  fills,
  healthy,
  instruments,
  orders,
  pageAnswer,
  portfolio,
  quotes,
  readSideEmpty,
  signals,
  strategies,
  strategyDown,
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
