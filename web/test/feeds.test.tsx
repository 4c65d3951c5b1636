import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AlertsFeed, OrdersFeed, SignalsFeed } from "../src/components/feeds";
import type { OrderState } from "../src/api/types";
import { formatTime } from "../src/format";
import { alerts, orders, signals, T0 } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const items = (feed: string) => within(screen.getByRole("region", { name: feed })).getAllByRole("listitem");
const page = (items: unknown[]) => ({ body: { items, next: null } });

describe("the feeds", () => {
  // each item starts with its local time, hh:mm:ss: the assertions read what follows it
  it("list the latest signals, orders at their latest state and alerts of every symbol, newest first", async () => {
    const { calls } = stubApi({
      "/api/signals": page(signals),
      "/api/orders": page(orders),
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
    await screen.findByText("avg 190.07");
    expect(items("Signals").map((li) => li.textContent?.slice(8))).toEqual([
      "shortAAPL sma-crossover 190.13",
      "longAAPL sma-crossover 190.05",
    ]);
    expect(items("Signals")[0]!.title).toBe("SMA(10) crossed below SMA(30)");
    expect(items("Orders").map((li) => li.textContent?.slice(8))).toEqual([
      "sellEUR-USD 0/9,000 sma-crossover limit 1.0853 GTD canceled expired",
      "buyMSFT 0/23 sma-crossover market rejected max-position",
      "buyAAPL 52/52 sma-crossover market filled avg 190.07",
    ]);
    // the time shown is the submission's, the order the feed is in
    expect(items("Orders").map((li) => li.querySelector("time")!.textContent)).toEqual([
      formatTime(T0 + 4_800),
      formatTime(T0 + 4_500),
      formatTime(T0 + 1_010),
    ]);
    expect(items("Orders")[1]!.title).toBe("max-position");
    expect(within(items("Orders")[1]!).getByText("max-position").className).toBe("down");
    expect(items("Alerts")[0]!.textContent).toContain("drawdown 5.21% / limit 5.00%");
    expect(calls.map((u) => `${u.pathname}${u.search}`).sort()).toEqual([
      "/api/alerts?limit=30",
      "/api/orders?limit=30",
      "/api/signals?limit=30",
    ]);
  });

  it("show a resting order's stop and limit, what of it has filled at what average, and an order whose submission is not stored yet", async () => {
    const order = {
      strategyId: "sma-crossover",
      symbol: "MSFT",
      side: "sell" as const,
      parentId: null,
      signalId: "strategy",
      reason: null,
    };
    const resting: OrderState[] = [
      {
        ...order,
        orderId: "sma-crossover:7",
        type: null,
        timeInForce: null,
        quantity: null,
        limitPrice: null,
        stopPrice: null,
        status: "working",
        filledQuantity: 0,
        averagePrice: null,
        submittedAt: null,
        updatedAt: T0 + 7_000,
      },
      {
        ...order,
        orderId: "sma-crossover:6",
        type: "stop-limit",
        timeInForce: "GTC",
        quantity: 12,
        limitPrice: 419.5,
        stopPrice: 419.6,
        status: "partially-filled",
        filledQuantity: 5,
        averagePrice: 419.52,
        submittedAt: T0 + 6_000,
        updatedAt: T0 + 6_400,
      },
    ];
    stubApi({ "/api/orders": page(resting) });

    renderWithClient(<OrdersFeed />);

    await screen.findByText("partially-filled");
    expect(items("Orders").map((li) => li.textContent?.slice(8))).toEqual([
      "sellMSFT 0/? sma-crossover working",
      "sellMSFT 5/12 sma-crossover stop 419.60 limit 419.50 partially-filled avg 419.52",
    ]);
    expect(items("Orders")[0]!.querySelector("time")!.textContent).toBe(formatTime(T0 + 7_000));
  });

  it("say why they are empty", async () => {
    stubApi({ "/api/signals": page([]), "/api/orders": page([]), "/api/alerts": { body: [] } });

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
