import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AlertsFeed, OrdersFeed, SignalsFeed } from "../src/components/feeds";
import { alerts, orders, signals } from "./fixtures";
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
      "buyMSFT 23 sma-crossover rejected: max-position",
      "buyAAPL 52 sma-crossover filled @ 190.07",
      "buyAAPL 52 sma-crossover submitted",
    ]);
    expect(items("Alerts")[0]!.textContent).toContain("drawdown 5.21% / limit 5.00%");
    expect(calls.map((u) => `${u.pathname}${u.search}`).sort()).toEqual([
      "/api/alerts?limit=30",
      "/api/orders?limit=30",
      "/api/signals?limit=30",
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
