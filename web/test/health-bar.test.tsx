import { cleanup, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HealthBar } from "../src/components/health-bar";
import { databaseDown, healthy, strategyDown, upstreamTimeout } from "./fixtures";
import { renderWithClient, stubApi } from "./support";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const services = () => within(screen.getByRole("region", { name: "System health" })).getAllByRole("listitem");

describe("HealthBar", () => {
  it("shows the gateway, every worker and the read side's database up", async () => {
    stubApi({ "/api/health": { body: healthy } });

    renderWithClient(<HealthBar />);

    await screen.findByText("market-data");
    expect(services().map((s) => s.textContent)).toEqual([
      "gateway up",
      "market-data up",
      "strategy up",
      "database up",
    ]);
  });

  it("shows the database down, with the reason, from the health route's 503", async () => {
    stubApi({ "/api/health": { status: 503, body: databaseDown } });

    renderWithClient(<HealthBar />);

    await screen.findByText("database");
    expect(services().map((s) => s.textContent)).toEqual([
      "gateway up",
      "market-data up",
      "strategy up",
      "database down",
    ]);
    expect(services()[3]!.className).toContain("service-down");
    expect(services()[3]!.title).toBe("the read side's database did not answer (ECONNREFUSED)");
  });

  it("shows a consumer the gateway runs, and why it is down", async () => {
    const stalled = "strategy.risk.v1[0] has 20 records behind and has not advanced for 61 s";
    stubApi({
      "/api/health": {
        status: 503,
        body: {
          ...healthy,
          status: "down",
          consumers: [{ name: "risk-alerts", group: "tickflow-alerts", status: "down", lag: 20, detail: stalled }],
        },
      },
    });

    renderWithClient(<HealthBar />);

    await screen.findByText("risk-alerts");
    expect(services().map((s) => s.textContent)).toEqual([
      "gateway up",
      "market-data up",
      "strategy up",
      "database up",
      "risk-alerts down",
    ]);
    expect(services()[4]!.title).toBe(stalled);
  });

  it("shows a service that is down, with the reason, from the health route's 503", async () => {
    stubApi({ "/api/health": { status: 503, body: strategyDown } });

    renderWithClient(<HealthBar />);

    await screen.findByText("strategy");
    expect(services().map((s) => s.textContent)).toEqual([
      "gateway up",
      "market-data up",
      "strategy down",
      "database up",
    ]);
    expect(services()[2]!.className).toContain("service-down");
    expect(services()[2]!.title).toBe("strategy did not answer within 1000 ms");
  });

  it("takes a 503 problem for an error, not for a health report: the gateway down with the problem's detail, no workers", async () => {
    // @middy/core's timeout, before the Lambda's: the check itself ran out of time
    stubApi({
      "/api/health": {
        status: 503,
        body: {
          ...upstreamTimeout,
          code: "timeout",
          detail: "the request ran out of time",
          instance: "/api/health",
          upstream: undefined,
        },
      },
    });

    renderWithClient(<HealthBar />);

    await screen.findByText("down");
    expect(services().map((s) => s.textContent)).toEqual(["gateway down"]);
    expect(services()[0]!.title).toBe("the request ran out of time");
  });

  it("takes API Gateway's own 503 message for an error too", async () => {
    stubApi({ "/api/health": { status: 503, body: { message: "Service Unavailable" } } });

    renderWithClient(<HealthBar />);

    await screen.findByText("down");
    expect(services().map((s) => s.textContent)).toEqual(["gateway down"]);
    expect(services()[0]!.title).toBe("/api/health answered HTTP 503");
  });

  it("shows the gateway down when it cannot be reached", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() => Promise.reject(new TypeError("Failed to fetch"))),
    );

    renderWithClient(<HealthBar />);

    await screen.findByText("down");
    expect(services().map((s) => s.textContent)).toEqual(["gateway down"]);
    expect(services()[0]!.title).toBe("cannot reach the API (Failed to fetch)");
  });
});
