import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AlertsFeed, OrdersFeed, SignalsFeed } from "../src/components/feeds";
import type { OrderEvent } from "../src/api/types";
import { formatTime } from "../src/format";
import { alerts, orders, signals, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const items = (feed: string) => within(screen.getByRole("region", { name: feed })).getAllByRole("listitem");

describe("the feeds", () => {
  // each item starts with its local time, hh:mm:ss: the assertions read what follows it
  it("list the latest signals, order events and alerts of every symbol, newest first", async () => {
    const { calls } = stubApi({
      "/api/signals": { body: signals },
      "/api/orders": { body: orders },
      "/api/alerts": { body: alerts },
    });

    renderWithClient(
      <>
        <SignalsFeed />
        <OrdersFeed />
        <AlertsFeed />
      </>,
    );

    await screen.findByText(/halted: drawdown/);
    await screen.findAllByText(/filled @/);
    expect(items("Signals").map((li) => li.textContent?.slice(8))).toEqual([
      "shortAAPL sma-crossover 190.13",
      "longAAPL sma-crossover 190.05",
    ]);
    expect(items("Signals")[0]!.title).toBe("SMA(10) crossed below SMA(30)");
    expect(items("Orders and fills").map((li) => li.textContent?.slice(8))).toEqual([
      "sellEUR-USD 9,000 sma-crossover canceled: expired",
      "buyMSFT 23 sma-crossover rejected: max-position",
      "buyAAPL 22 sma-crossover filled @ 190.07 taker",
      "buyAAPL 30 sma-crossover filled @ 190.07 taker, 22 left",
      "buyAAPL sma-crossover accepted",
      "buyAAPL 52 sma-crossover submitted market",
    ]);
    expect(items("Alerts")[0]!.textContent).toContain("drawdown 5.21% / limit 5.00%");
    expect(calls.map((u) => `${u.pathname}${u.search}`).sort()).toEqual([
      "/api/alerts?limit=30",
      "/api/orders?limit=30",
      "/api/signals?limit=30",
    ]);
  });

  it("show a resting order's terms, its trigger and its replacement", async () => {
    const order = {
      orderId: "sma-crossover:6",
      strategyId: "sma-crossover",
      symbol: "MSFT",
      side: "sell" as const,
      tsEvent: T0 + 6_000,
      tsInit: T0 + 6_001,
    };
    const stopLimit: OrderEvent[] = [
      { type: "order.replaced", data: { ...order, quantity: 10, stopPrice: 419.5, limitPrice: 419.4 } },
      { type: "order.triggered", data: { ...order, stopPrice: 419.6, touchPrice: 419.58 } },
      {
        type: "order.submitted",
        data: {
          ...order,
          quantity: 12,
          type: "stop-limit",
          timeInForce: "GTD",
          stopPrice: 419.6,
          limitPrice: 419.5,
          expireAt: T0 + 60_000,
          reduceOnly: true,
          postOnly: false,
          parentId: null,
          signalId: "strategy",
        },
      },
    ];
    stubApi({ "/api/orders": { body: stopLimit } });

    renderWithClient(<OrdersFeed />);

    await screen.findByText(/triggered @/);
    expect(items("Orders and fills").map((li) => li.textContent?.slice(8))).toEqual([
      "sellMSFT 10 sma-crossover replaced stop 419.50 limit 419.40",
      "sellMSFT sma-crossover triggered @ 419.58 (stop 419.60)",
      `sellMSFT 12 sma-crossover submitted stop 419.60 limit 419.50 GTD ${formatTime(T0 + 60_000)} reduce-only`,
    ]);
  });

  it("say why they are empty", async () => {
    stubApi({ "/api/signals": { body: [] }, "/api/orders": { body: [] }, "/api/alerts": { body: [] } });

    renderWithClient(
      <>
        <SignalsFeed />
        <OrdersFeed />
        <AlertsFeed />
      </>,
    );

    expect(
      await screen.findByText("No signals yet: strategies signal once their indicators have warmed up."),
    ).toBeTruthy();
    expect(await screen.findByText("No orders yet: orders follow signals.")).toBeTruthy();
    expect(await screen.findByText("No alerts: no strategy has hit its drawdown limit.")).toBeTruthy();
  });
});
