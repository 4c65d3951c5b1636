import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { endSession } from "../src/api/session";
import type { CommandRecord, OrderState, Strategy } from "../src/api/types";
import { App } from "../src/app";
import { dashboardRoutes, strategies, strategyKinds, T0 } from "./fixtures";
import { renderWithClient, stubApi, type Answer, type SentRequest } from "./support";

vi.mock("lightweight-charts", async (importOriginal) =>
  (await import("./chart-mock")).withFakeCharts(await importOriginal()),
);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  endSession();
  sessionStorage.clear();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A JWT as the local gateway signs it (the signature is never checked by the page). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

const USERS = { alice: { password: "alice-pw", role: "trader" }, bob: { password: "bob-pw", role: "viewer" } } as const;
/** A fixed expiry far ahead: the same user's token is the same string whenever it is made. */
const tokenOf = (username: keyof typeof USERS) =>
  jwt({ sub: username, role: USERS[username].role, exp: 4_102_444_800 });

const problem = (status: number, code: string, detail: string, more: object = {}): Answer => ({
  status,
  body: { type: "about:blank", title: code, status, code, detail, ...more },
});

/** A working AAPL limit order, resting far below the market. */
const restingOrder: OrderState = {
  orderId: "sma-crossover:AAPL:m1",
  strategyId: "sma-crossover",
  symbol: "AAPL",
  side: "buy",
  type: "limit",
  timeInForce: "GTC",
  quantity: 10,
  limitPrice: 150.25,
  stopPrice: null,
  parentId: null,
  signalId: "command:c1",
  status: "working",
  filledQuantity: 0,
  averagePrice: null,
  reason: null,
  submittedAt: T0 + 6_000,
  updatedAt: T0 + 6_000,
};

type Outcome = Pick<CommandRecord, "status" | "reason" | "detail" | "orderId">;

interface GatewayOptions {
  /** The engine's answer to a command, and what applying it changes; applied by default. */
  decide?: (command: CommandRecord, state: GatewayState) => Outcome | undefined;
  /** Answers a write instead of the 202 (a 400, a 401, a network error by throwing). */
  refuse?: (request: SentRequest) => Answer | undefined;
}

interface GatewayState {
  strategies: Strategy[];
  orders: OrderState[];
}

/**
 * The gateway as the page sees it: the fixtures' reads, the token route, and the write routes
 * answering 202 with the Idempotency-Key as the command id. A command's GET answers 404
 * unknown-command on its first poll (the audit has not projected it yet), then its outcome.
 */
function fakeGateway(options: GatewayOptions = {}) {
  const state: GatewayState = { strategies: structuredClone(strategies), orders: [structuredClone(restingOrder)] };
  const commands = new Map<string, { record: CommandRecord; polls: number }>();
  const writes: SentRequest[] = [];

  const accept = (request: SentRequest, kind: CommandRecord["kind"], strategyId: string): Answer => {
    writes.push(request);
    const refused = options.refuse?.(request);
    if (refused) return refused;
    const commandId = request.headers.get("idempotency-key")!;
    const record: CommandRecord = {
      commandId,
      kind,
      strategyId,
      payload: (request.body ?? {}) as Record<string, unknown>,
      actor: { subject: "alice", username: "alice", role: "trader" },
      submittedAt: T0 + 10_000,
      status: "pending",
      reason: null,
      detail: null,
      orderId: null,
      appliedAt: null,
    };
    if (!commands.has(commandId)) commands.set(commandId, { record, polls: 0 });
    const { status, submittedAt } = record;
    return {
      status: 202,
      body: { commandId, kind, strategyId, status, submittedAt },
      headers: { location: `/api/commands/${commandId}` },
    };
  };

  const settle = (record: CommandRecord): CommandRecord => {
    const outcome = options.decide?.(record, state) ?? { status: "applied", reason: null, detail: null, orderId: null };
    return { ...record, ...outcome, appliedAt: outcome.status === "applied" ? T0 + 10_050 : null };
  };

  const routes = {
    ...dashboardRoutes(),
    "/api/strategy-kinds": { body: strategyKinds },
    "/api/auth/token": (_url: URL, _headers: Headers, request: SentRequest): Answer => {
      const { username, password } = request.body as { username: keyof typeof USERS; password: string };
      const user = USERS[username];
      if (user?.password !== password) return problem(401, "invalid-credentials", "unknown user or wrong password");
      return {
        body: {
          access_token: tokenOf(username),
          token_type: "Bearer",
          expires_in: 3_600,
          username,
          role: user.role,
        },
      };
    },
    "/api/strategies": (_url: URL, _headers: Headers, request: SentRequest): Answer =>
      request.method === "POST"
        ? accept(request, "strategy.add", (request.body as { id: string }).id)
        : { body: state.strategies },
    "/api/strategies/*": (url: URL, _headers: Headers, request: SentRequest): Answer => {
      const [, , , id, action] = url.pathname.split("/").map(decodeURIComponent);
      const kinds = {
        pause: "strategy.pause",
        resume: "strategy.resume",
        reset: "risk.reset",
        flatten: "strategy.flatten",
      } as const;
      if (request.method === "DELETE") return accept(request, "strategy.remove", id!);
      if (request.method === "PATCH") return accept(request, "strategy.params", id!);
      return accept(request, kinds[action as keyof typeof kinds], id!);
    },
    "/api/orders": (url: URL, _headers: Headers, request: SentRequest): Answer => {
      if (request.method === "POST")
        return accept(request, "order.submit", (request.body as { strategyId: string }).strategyId);
      const status = url.searchParams.get("status");
      return { body: { items: state.orders.filter((o) => status === null || o.status === status), next: null } };
    },
    "/api/orders/*": (url: URL, _headers: Headers, request: SentRequest): Answer => {
      const id = decodeURIComponent(url.pathname.slice("/api/orders/".length));
      const order = state.orders.find((o) => o.orderId === id);
      return accept(request, request.method === "DELETE" ? "order.cancel" : "order.replace", order?.strategyId ?? "?");
    },
    "/api/commands": (): Answer => ({
      body: { items: [...commands.values()].map((c) => c.record).reverse(), next: null },
    }),
    "/api/commands/*": (url: URL): Answer => {
      const entry = commands.get(decodeURIComponent(url.pathname.slice("/api/commands/".length)));
      if (!entry || entry.polls++ === 0) return problem(404, "unknown-command", "no such command (yet)");
      if (entry.record.status === "pending") entry.record = settle(entry.record);
      return { body: entry.record };
    },
  };
  const api = stubApi(routes);
  return { ...api, state, writes, commands };
}

async function logIn(username: keyof typeof USERS) {
  const form = await screen.findByRole("form", { name: "Log in" });
  await userEvent.type(within(form).getByLabelText("Username"), username);
  await userEvent.type(within(form).getByLabelText("Password"), USERS[username].password);
  await userEvent.click(within(form).getByRole("button", { name: "Log in" }));
  await waitFor(() =>
    expect(screen.getByTestId("current-user").textContent).toBe(`${username} ${USERS[username].role}`),
  );
}

const strategiesPanel = () => screen.getByRole("region", { name: "Strategies" });
const feed = () => screen.getByRole("region", { name: "Commands" });

describe("trading from the dashboard", () => {
  it("shows a logged-out user and a viewer everything but no control", async () => {
    // Prepare
    const { requests } = fakeGateway();
    renderWithClient(<App />);
    await within(strategiesPanel()).findByRole("table");
    await screen.findByTestId("open-orders");

    // Assess: logged out
    const noControls = () => {
      expect(screen.queryByRole("button", { name: /^(Pause|Resume|Flatten|Remove|Edit parameters of) / })).toBeNull();
      expect(screen.queryByRole("button", { name: "Add strategy" })).toBeNull();
      expect(screen.queryByRole("button", { name: /^(Cancel|Replace) order / })).toBeNull();
      expect(screen.queryByRole("form", { name: "Order ticket" })).toBeNull();
      expect(screen.queryByRole("region", { name: "Commands" })).toBeNull();
      expect(within(strategiesPanel()).queryByRole("columnheader", { name: "Actions" })).toBeNull();
    };
    noControls();

    // Act
    await logIn("bob");

    // Assess: a viewer sees the same, and the token asked for was bob's
    noControls();
    const token = requests.find((r) => r.url.pathname === "/api/auth/token")!;
    expect(token.method).toBe("POST");
    expect(token.body).toEqual({ username: "bob", password: "bob-pw" });
    expect(screen.getByRole("button", { name: "Log out" })).toBeTruthy();
  });

  it("says why a login is refused", async () => {
    fakeGateway();
    renderWithClient(<App />);
    const form = await screen.findByRole("form", { name: "Log in" });

    await userEvent.type(within(form).getByLabelText("Username"), "alice");
    await userEvent.type(within(form).getByLabelText("Password"), "wrong");
    await userEvent.click(within(form).getByRole("button", { name: "Log in" }));

    expect((await within(form).findByRole("alert")).textContent).toBe("unknown user or wrong password");
    expect(screen.queryByTestId("current-user")).toBeNull();
  });

  it("pauses with the token and a fresh idempotency key, shows the command pending then applied, and refreshes the table", async () => {
    // Prepare
    const gateway = fakeGateway({
      decide: (command, state) => {
        const strategy = state.strategies.find((s) => s.id === command.strategyId)!;
        strategy.paused = command.kind === "strategy.pause";
        strategy.status = strategy.paused ? "paused" : "running";
        return undefined;
      },
    });
    renderWithClient(<App />);
    await logIn("alice");

    // Act
    await userEvent.click(await screen.findByRole("button", { name: "Pause sma-crossover" }));

    // Assess: the request
    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    const [pause] = gateway.writes;
    expect(pause!.method).toBe("POST");
    expect(pause!.url.pathname).toBe("/api/strategies/sma-crossover/pause");
    expect(pause!.body).toBeUndefined();
    expect(pause!.headers.get("authorization")).toBe(`Bearer ${tokenOf("alice")}`);
    expect(pause!.headers.get("idempotency-key")).toMatch(UUID);

    // Assess: the feed says pending (the audit's first 404 included), then applied; the table follows
    const entry = await within(feed()).findByTestId("command");
    expect(entry.textContent).toContain("Pause sma-crossover");
    await waitFor(() => expect(entry.dataset.status).toBe("applied"));
    await within(strategiesPanel()).findByRole("button", { name: "Resume sma-crossover" });
    expect(within(screen.getByTestId("status-sma-crossover")).getByText("paused")).toBeTruthy();

    // Act: resume is another action, with another key
    await userEvent.click(screen.getByRole("button", { name: "Resume sma-crossover" }));
    await waitFor(() => expect(gateway.writes).toHaveLength(2));
    expect(gateway.writes[1]!.url.pathname).toBe("/api/strategies/sma-crossover/resume");
    expect(gateway.writes[1]!.headers.get("idempotency-key")).not.toBe(pause!.headers.get("idempotency-key"));
    await within(strategiesPanel()).findByRole("button", { name: "Pause sma-crossover" });

    // Assess: the audit lists both, with who sent them
    await userEvent.click(within(feed()).getByText("Command log (everyone)"));
    await waitFor(() =>
      expect(
        within(feed())
          .getAllByRole("listitem")
          .map((li) => li.textContent)
          .filter((t) => t?.includes("by alice")),
      ).toHaveLength(2),
    );
  });

  it("offers the reset of a halt only to a halted strategy, and shows a rejection's reason and detail", async () => {
    fakeGateway({
      decide: () => ({
        status: "rejected",
        reason: "not-halted",
        detail: "mean-reversion is not halted",
        orderId: null,
      }),
    });
    renderWithClient(<App />);
    await logIn("alice");
    await screen.findByRole("button", { name: "Pause sma-crossover" });
    expect(screen.queryByRole("button", { name: "Reset halt of sma-crossover" })).toBeNull();

    await userEvent.click(screen.getByRole("button", { name: "Reset halt of mean-reversion" }));

    const entry = await within(feed()).findByTestId("command");
    await waitFor(() => expect(entry.dataset.status).toBe("rejected"));
    expect(entry.textContent).toContain("not-halted: mean-reversion is not halted");
  });

  it("edits parameters from the kind's schema: current values shown, bounds checked before sending, only the change sent", async () => {
    // Prepare
    const gateway = fakeGateway({
      decide: (command, state) => {
        const strategy = state.strategies.find((s) => s.id === command.strategyId)!;
        Object.assign(strategy.params, (command.payload as { params: object }).params);
        return undefined;
      },
    });
    renderWithClient(<App />);
    await logIn("alice");
    await userEvent.click(await screen.findByRole("button", { name: "Edit parameters of sma-crossover" }));
    const form = await screen.findByRole("form", { name: "Parameters of sma-crossover" });
    const fast = within(form).getByLabelText("fast") as HTMLInputElement;
    expect(fast.value).toBe("10");
    expect(fast.min).toBe("1");
    expect(fast.step).toBe("1");
    expect(form.textContent).toContain("integer ≥ 1 · default 10 · current 10");
    expect((within(form).getByLabelText("interval") as HTMLSelectElement).value).toBe("1s");
    expect((within(form).getByLabelText("allowShort") as HTMLInputElement).checked).toBe(true);

    // Act: out of bounds
    await userEvent.clear(fast);
    await userEvent.type(fast, "0");
    await userEvent.click(within(form).getByRole("button", { name: "Apply changes" }));

    // Assess: refused here, nothing sent
    expect(within(form).getByText("fast must be integer ≥ 1")).toBeTruthy();
    expect(fast.getAttribute("aria-invalid")).toBe("true");
    expect(gateway.writes).toHaveLength(0);

    // Act
    await userEvent.clear(fast);
    await userEvent.type(fast, "12");
    await userEvent.click(within(form).getByRole("button", { name: "Apply changes" }));

    // Assess
    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    expect(gateway.writes[0]!.method).toBe("PATCH");
    expect(gateway.writes[0]!.url.pathname).toBe("/api/strategies/sma-crossover");
    expect(gateway.writes[0]!.body).toEqual({ params: { fast: 12 } });
    await waitFor(() => expect(screen.getByTestId("params-sma-crossover").textContent).toContain("fast=12"));
  });

  it("removes a strategy only once confirmed, and flattens one symbol or all", async () => {
    const gateway = fakeGateway();
    renderWithClient(<App />);
    await logIn("alice");

    await userEvent.click(await screen.findByRole("button", { name: "Remove sma-crossover" }));
    expect(gateway.writes).toHaveLength(0);
    await userEvent.click(screen.getByRole("button", { name: "Keep" }));
    await userEvent.click(screen.getByRole("button", { name: "Remove sma-crossover" }));
    await userEvent.click(screen.getByRole("button", { name: "Confirm remove" }));
    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    expect([gateway.writes[0]!.method, gateway.writes[0]!.url.pathname]).toEqual([
      "DELETE",
      "/api/strategies/sma-crossover",
    ]);

    await userEvent.click(screen.getByRole("button", { name: "Flatten sma-crossover" }));
    const confirm = screen.getByRole("group", { name: "Confirm flatten of sma-crossover" });
    await userEvent.selectOptions(within(confirm).getByLabelText("Close at market"), "AAPL");
    await userEvent.click(within(confirm).getByRole("button", { name: "Confirm flatten" }));
    await waitFor(() => expect(gateway.writes).toHaveLength(2));
    expect(gateway.writes[1]!.url.pathname).toBe("/api/strategies/sma-crossover/flatten");
    expect(gateway.writes[1]!.body).toEqual({ symbol: "AAPL" });
  });

  it("adds a strategy instance with the parameters that differ from the kind's defaults", async () => {
    const gateway = fakeGateway();
    renderWithClient(<App />);
    await logIn("alice");

    await userEvent.click(await screen.findByRole("button", { name: "Add strategy" }));
    const form = await screen.findByRole("form", { name: "Add a strategy" });
    await userEvent.click(within(form).getByRole("button", { name: "Add strategy" }));
    expect(within(form).getByText("choose at least one symbol")).toBeTruthy();
    expect(gateway.writes).toHaveLength(0);

    await userEvent.type(within(form).getByLabelText("Id"), "mr-aapl");
    await userEvent.selectOptions(within(form).getByLabelText("Kind"), "mean-reversion");
    await userEvent.click(within(form).getByLabelText("AAPL"));
    const window = within(form).getByLabelText("window");
    await userEvent.clear(window);
    await userEvent.type(window, "40");
    await userEvent.click(within(form).getByRole("button", { name: "Add strategy" }));

    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    expect(gateway.writes[0]!.method).toBe("POST");
    expect(gateway.writes[0]!.url.pathname).toBe("/api/strategies");
    expect(gateway.writes[0]!.body).toEqual({
      id: "mr-aapl",
      kind: "mean-reversion",
      symbols: ["AAPL"],
      params: { window: 40 },
    });
  });

  it("places an order from the ticket: checked before it is sent, then the 202 and the engine's outcome", async () => {
    // Prepare
    const gateway = fakeGateway({
      decide: () => ({ status: "applied", reason: null, detail: null, orderId: "sma-crossover:AAPL:m2" }),
    });
    renderWithClient(<App />);
    await logIn("alice");
    const ticket = await screen.findByRole("form", { name: "Order ticket" });
    expect((within(ticket).getByLabelText("Strategy") as HTMLSelectElement).value).toBe("sma-crossover");
    expect((within(ticket).getByLabelText("Symbol") as HTMLSelectElement).value).toBe("AAPL");
    expect(within(ticket).queryByLabelText("Stop price")).toBeNull();

    // Act: off the price grid
    await userEvent.type(within(ticket).getByLabelText("Quantity"), "10");
    await userEvent.type(within(ticket).getByLabelText("Limit price"), "150.255");
    await userEvent.click(within(ticket).getByRole("button", { name: "Place order" }));

    // Assess
    expect(
      within(ticket).getByText("limitPrice 150.255 is not a positive multiple of AAPL's price increment 0.01"),
    ).toBeTruthy();
    expect(gateway.writes).toHaveLength(0);

    // Act
    await userEvent.clear(within(ticket).getByLabelText("Limit price"));
    await userEvent.type(within(ticket).getByLabelText("Limit price"), "150.25");
    await userEvent.type(within(ticket).getByLabelText("Take profit"), "160");
    await userEvent.click(within(ticket).getByRole("button", { name: "Place order" }));

    // Assess
    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    expect(gateway.writes[0]!.url.pathname).toBe("/api/orders");
    expect(gateway.writes[0]!.body).toEqual({
      strategyId: "sma-crossover",
      symbol: "AAPL",
      side: "buy",
      quantity: 10,
      type: "limit",
      timeInForce: "GTC",
      limitPrice: 150.25,
      reduceOnly: false,
      postOnly: false,
      bracket: { takeProfit: 160 },
    });
    const answer = await within(ticket).findByTestId("command-answer");
    expect(answer.textContent).toContain("Accepted (202)");
    await waitFor(() => expect(answer.dataset.status).toBe("applied"));
    expect(answer.textContent).toContain("order sma-crossover:AAPL:m2");
  });

  it("shows the problem that refused an order, with its field errors", async () => {
    const gateway = fakeGateway({
      refuse: () =>
        problem(400, "invalid-body", "the body is not an order", {
          errors: [{ parameter: "quantity", in: "body", message: "Too big: expected number to be <=1000000000" }],
        }),
    });
    renderWithClient(<App />);
    await logIn("alice");
    const ticket = await screen.findByRole("form", { name: "Order ticket" });
    await userEvent.selectOptions(within(ticket).getByLabelText("Type"), "market");
    await userEvent.type(within(ticket).getByLabelText("Quantity"), "5");
    await userEvent.click(within(ticket).getByRole("button", { name: "Place order" }));

    const error = await within(ticket).findByTestId("command-error");
    expect(gateway.writes).toHaveLength(1);
    expect(error.textContent).toContain("Refused (HTTP 400): the body is not an order");
    expect(error.textContent).toContain("quantity Too big: expected number to be <=1000000000");
  });

  it("cancels and replaces a working order", async () => {
    const gateway = fakeGateway({
      decide: (command, state) => {
        if (command.kind === "order.cancel") state.orders = [];
        return undefined;
      },
    });
    renderWithClient(<App />);
    await logIn("alice");
    const row = await screen.findByTestId("open-order");
    expect(row.dataset.orderId).toBe("sma-crossover:AAPL:m1");
    expect(row.textContent).toContain("limit 150.25");

    // Act: replace the limit price
    await userEvent.click(within(row).getByRole("button", { name: "Replace order sma-crossover:AAPL:m1" }));
    const replace = await screen.findByRole("form", { name: "Replace order sma-crossover:AAPL:m1" });
    const price = within(replace).getByLabelText("New limit price");
    await userEvent.clear(price);
    await userEvent.type(price, "151.5");
    await userEvent.click(within(replace).getByRole("button", { name: "Send replace" }));

    await waitFor(() => expect(gateway.writes).toHaveLength(1));
    expect(gateway.writes[0]!.method).toBe("PATCH");
    expect(gateway.writes[0]!.url.pathname).toBe("/api/orders/sma-crossover%3AAAPL%3Am1");
    expect(gateway.writes[0]!.body).toEqual({ limitPrice: 151.5 });

    // Act: cancel it
    await userEvent.click(within(row).getByRole("button", { name: "Cancel order sma-crossover:AAPL:m1" }));

    // Assess: the DELETE, then the row goes once the cancel is applied
    await waitFor(() => expect(gateway.writes).toHaveLength(2));
    expect([gateway.writes[1]!.method, gateway.writes[1]!.url.pathname]).toEqual([
      "DELETE",
      "/api/orders/sma-crossover%3AAAPL%3Am1",
    ]);
    await screen.findByText(/^No open orders/);
  });

  it("logs out on a 401 and says why", async () => {
    fakeGateway({ refuse: () => problem(401, "unauthenticated", "the token has expired") });
    renderWithClient(<App />);
    await logIn("alice");

    await userEvent.click(await screen.findByRole("button", { name: "Pause sma-crossover" }));

    expect(await screen.findByText("The API no longer accepts your token: log in again to trade.")).toBeTruthy();
    expect(screen.queryByTestId("current-user")).toBeNull();
    expect(screen.queryByRole("button", { name: "Pause sma-crossover" })).toBeNull();
    expect(sessionStorage.getItem("tickflow.session")).toBeNull();
  });

  it("keeps the login across a reload of the page (sessionStorage)", async () => {
    fakeGateway();
    const first = renderWithClient(<App />);
    await logIn("alice");
    first.unmount();

    renderWithClient(<App />);

    expect((await screen.findByTestId("current-user")).textContent).toBe("alice trader");
    const saved = JSON.parse(sessionStorage.getItem("tickflow.session")!) as { token: string };
    expect(saved.token).toBe(tokenOf("alice"));
  });

  it("sends a retried click with the same idempotency key, so it is applied once", async () => {
    // Prepare: the first click never reaches the gateway (three tries), the second does
    let reachable = false;
    const gateway = fakeGateway({
      refuse: () => {
        if (!reachable) throw new TypeError("Failed to fetch");
        return undefined;
      },
    });
    renderWithClient(<App />);
    await logIn("alice");

    // Act
    await userEvent.click(await screen.findByRole("button", { name: "Pause sma-crossover" }));
    const error = await screen.findByTestId("command-error", {}, { timeout: 5_000 });
    expect(error.textContent).toContain("cannot reach the API (Failed to fetch)");
    reachable = true;
    await userEvent.click(screen.getByRole("button", { name: "Pause sma-crossover" }));

    // Assess
    await within(feed()).findByTestId("command");
    const keys = gateway.writes.map((w) => w.headers.get("idempotency-key"));
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(1);
    expect(gateway.commands.size).toBe(1);
  }, 10_000);
});
