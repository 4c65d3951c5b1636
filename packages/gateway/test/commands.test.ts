import { decodeEvent } from "@tickflow/bus";
import type { CommandView } from "@tickflow/core";
import { until } from "@tickflow/test-support";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cognitoVerifier, LOCAL_AUDIENCE, LOCAL_ISSUER } from "../src/auth";
import { busCommandSink, submitCommand, type CommandSink } from "../src/commands";
import type { HttpHandler } from "../src/http/endpoint";
import { ENDPOINTS } from "../src/http/endpoints";
import { ROUTES, type HandlerName } from "../src/http/routes";
import type { Problem } from "../src/schemas";
import { context, httpEvent, parse, testDeps, type TestDeps } from "./support/events";
import { startInProcessWorkers, type InProcessWorkers } from "./support/workers";

const SECRET = "a-test-secret-that-is-long-enough-0123456789";
const USERS = [
  { username: "tess", password: "trader-password", role: "trader" },
  { username: "vic", password: "viewer-password", role: "viewer" },
];

let workers: InProcessWorkers;
let deps: TestDeps;
let handlers: Record<HandlerName, HttpHandler>;

beforeAll(async () => {
  workers = await startInProcessWorkers({ ticks: 400 });
  deps = testDeps(
    {
      MARKET_DATA_URL: workers.marketDataUrl,
      STRATEGY_URL: workers.strategyUrl,
      DATABASE_URL: workers.databaseUrl,
      AUTH_SECRET: SECRET,
      AUTH_USERS: JSON.stringify(USERS),
    },
    busCommandSink(workers.bus),
  );
  handlers = Object.fromEntries(ROUTES.map((r) => [r.handler, ENDPOINTS[r.handler].create(deps)])) as Record<
    HandlerName,
    HttpHandler
  >;
}, 90_000);

afterAll(async () => {
  await deps?.commands?.close();
  await workers?.stop();
});

type Call = Parameters<typeof httpEvent>[1];
const invoke = async <T = unknown>(name: HandlerName, params: Call = {}) =>
  parse<T>(await handlers[name](httpEvent(name, params), context()));
const json = (value: unknown) => ({ "content-type": "application/json", body: JSON.stringify(value) });
/** A call with a JSON body and these headers. */
const withBody = (value: unknown, headers: Record<string, string> = {}, rest: Call = {}): Call => ({
  ...rest,
  headers: { "content-type": "application/json", ...headers },
  body: json(value).body,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const login = async (username: string, password: string) =>
  (await invoke<{ access_token: string }>("token", withBody({ username, password }))).body.access_token;
/** How many commands strategy.commands.v1 holds (not their outcomes): what a refused request must not change. */
const commandRecords = async () =>
  (await workers.bus.readTail("commands", 100_000)).filter((r) => decodeEvent(r.value).type === "command.submitted")
    .length;

describe("tokens", () => {
  it("issues a token for a configured user's password, and 401 invalid-credentials for a wrong one or an unknown user", async () => {
    const good = await invoke<{ token_type: string; role: string; expires_in: number }>(
      "token",
      withBody({ username: "tess", password: "trader-password" }),
    );
    const wrong = await invoke<Problem>("token", withBody({ username: "tess", password: "guess-guess" }));
    const unknown = await invoke<Problem>("token", withBody({ username: "nobody", password: "trader-password" }));
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ token_type: "Bearer", role: "trader", expires_in: 3600 });
    expect([wrong.status, wrong.body.code, unknown.status, unknown.body.code]).toEqual([
      401,
      "invalid-credentials",
      401,
      "invalid-credentials",
    ]);
    // the same detail either way: which one was wrong stays unsaid
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });
});

describe("a command without the right token changes nothing", () => {
  it("answers no token, a malformed header, an expired token, a wrong signature and another issuer's token with 401, and a viewer with 403", async () => {
    const before = await commandRecords();
    const sign = (claims: { exp: number; iss?: string }, secret = SECRET) =>
      new SignJWT({ role: "trader" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("tess")
        .setIssuer(claims.iss ?? LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime(claims.exp)
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const attempts: [string, Record<string, string>][] = [
      ["none", {}],
      ["malformed", { authorization: "Basic dGVzczp4" }],
      ["expired", bearer(await sign({ exp: now - 60 }))],
      ["wrong signature", bearer(await sign({ exp: now + 600 }, "another-secret-that-is-long-enough-012345"))],
      ["another issuer", bearer(await sign({ exp: now + 600, iss: "someone-else" }))],
      ["viewer", bearer(await login("vic", "viewer-password"))],
    ];
    const answers = [];
    for (const [what, headers] of attempts) {
      const response = await invoke<Problem>("pauseStrategy", { path: { id: "sma" }, headers });
      answers.push([what, response.status, response.body.code, response.headers["www-authenticate"] ?? null]);
    }
    expect(answers).toEqual([
      ["none", 401, "unauthenticated", 'Bearer realm="tickflow"'],
      ["malformed", 401, "unauthenticated", 'Bearer realm="tickflow"'],
      ["expired", 401, "unauthenticated", 'Bearer realm="tickflow"'],
      ["wrong signature", 401, "unauthenticated", 'Bearer realm="tickflow"'],
      ["another issuer", 401, "unauthenticated", 'Bearer realm="tickflow"'],
      ["viewer", 403, "forbidden", null],
    ]);
    expect(await commandRecords()).toBe(before);
  });

  it("refuses a bad body (400 naming the field), a body not sent as JSON (415) and one too large (413) from a trader, publishing nothing", async () => {
    const token = await login("tess", "trader-password");
    const before = await commandRecords();
    const badField = await invoke<Problem & { errors: { parameter: string }[] }>(
      "submitOrder",
      withBody({ strategyId: "sma", symbol: "AAPL", side: "hold", quantity: 1, type: "market" }, bearer(token)),
    );
    const notJson = await invoke<Problem>("submitOrder", {
      headers: { ...bearer(token), "content-type": "text/plain" },
      body: "{}",
    });
    const broken = await invoke<Problem>("submitOrder", {
      headers: { ...bearer(token), "content-type": "application/json" },
      body: "{",
    });
    const large = await invoke<Problem>("changeStrategy", {
      path: { id: "sma" },
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ params: { fast: 3 }, pad: "x".repeat(20_000) }),
    });
    expect([badField.status, badField.body.code, badField.body.errors.map((e) => e.parameter)]).toEqual([
      400,
      "invalid-body",
      ["side"],
    ]);
    expect([notJson.status, notJson.body.code]).toEqual([415, "unsupported-media-type"]);
    expect([broken.status, broken.body.code]).toEqual([400, "invalid-body"]);
    expect([large.status, large.body.code]).toEqual([413, "body-too-large"]);
    expect(await commandRecords()).toBe(before);
  });
});

describe("commands from a trader", () => {
  it("publishes the command, answers 202 with its Location, and the outcome appears there once the worker applied it", async () => {
    const token = await login("tess", "trader-password");
    const accepted = await invoke<{ commandId: string; kind: string; status: string }>("pauseStrategy", {
      path: { id: "mr" },
      headers: bearer(token),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ kind: "strategy.pause", strategyId: "mr", status: "pending" });
    expect(accepted.headers.location).toBe(`/api/commands/${accepted.body.commandId}`);
    const record = (await workers.bus.readTail("commands", 1_000)).find(
      (r) => decodeEvent(r.value).id === accepted.body.commandId,
    )!;
    expect(record.key).toBe("mr");
    expect(decodeEvent(record.value).data).toMatchObject({
      kind: "strategy.pause",
      actor: { subject: "tess", username: "tess", role: "trader" },
    });
    let view: CommandView | undefined;
    await until(
      "the outcome in the read side",
      async () => {
        const response = await invoke<CommandView>("command", { path: { id: accepted.body.commandId } });
        view = response.status === 200 ? response.body : undefined;
        return view?.status === "applied";
      },
      20_000,
    );
    expect(view).toMatchObject({ kind: "strategy.pause", strategyId: "mr", actor: { username: "tess" }, reason: null });
    const listed = await invoke<{ items: CommandView[] }>("commands", { query: "strategy=mr" });
    expect(listed.body.items.map((c) => c.commandId)).toContain(accepted.body.commandId);
  });

  it("honours an Idempotency-Key: the same request answers the same and publishes once; another request with it is 422", async () => {
    const token = await login("tess", "trader-password");
    const key = `idem-${Date.now()}`;
    const headers = { ...bearer(token), "idempotency-key": key };
    const order = { strategyId: "bo", symbol: "AAPL", side: "buy", quantity: 1, type: "limit", limitPrice: 1 };
    const before = await commandRecords();
    const first = await invoke("submitOrder", withBody(order, headers));
    const again = await invoke("submitOrder", withBody(order, headers));
    const other = await invoke<Problem>("submitOrder", withBody({ ...order, quantity: 2 }, headers));
    const badKey = await invoke<Problem>(
      "submitOrder",
      withBody(order, { ...bearer(token), "idempotency-key": "no!" }),
    );
    expect(first.status).toBe(202);
    expect(again).toEqual(first);
    expect([other.status, other.body.code]).toEqual([422, "idempotency-key-reused"]);
    expect([badKey.status, badKey.body.code]).toEqual([400, "invalid-header"]);
    expect(await commandRecords()).toBe(before + 1);
    // the engine's answer: a limit far below the market rests, so the order is accepted and working
    await until(
      "the order's outcome",
      async () => (await invoke<CommandView>("command", { path: { id: key } })).body.status === "applied",
      20_000,
    );
    expect((await invoke<CommandView>("command", { path: { id: key } })).body.orderId).toMatch(/^bo:AAPL:/);
  });

  it("shows the engine's refusal with its stable reason", async () => {
    const token = await login("tess", "trader-password");
    const key = `reset-${Date.now()}`;
    await invoke("resetStrategy", { path: { id: "sma" }, headers: { ...bearer(token), "idempotency-key": key } });
    let view: CommandView | undefined;
    await until(
      "the refusal",
      async () => (view = (await invoke<CommandView>("command", { path: { id: key } })).body).status === "rejected",
      20_000,
    );
    expect(view).toMatchObject({ reason: "not-halted", kind: "risk.reset" });
  });
});

describe("Idempotency-Key answers", () => {
  it("are each gateway's own: two gateways in one process each publish a new key once", async () => {
    const published: string[] = [];
    const sink: CommandSink = {
      publish: async (command) => void published.push(command.commandId),
      close: async () => {},
    };
    // the sink publishes nowhere, so the read side's audit never has the command: only a gateway's own answers count
    const gateway = () => testDeps({ DATABASE_URL: workers.databaseUrl }, sink);
    const request = {
      kind: "strategy.pause" as const,
      strategyId: "sma",
      payload: {},
      actor: { subject: "tess", username: "tess", role: "trader" as const },
      idempotencyKey: `own-${Date.now()}`,
    };
    const [first, second] = [gateway(), gateway()];
    const answer = await submitCommand(first, request);
    expect(await submitCommand(first, request)).toEqual(answer);
    await submitCommand(second, request);
    expect(published).toEqual([request.idempotencyKey, request.idempotencyKey]);
  });
});

describe("Cognito access tokens (AWS)", () => {
  const POOL = "eu-west-1_AbC123";
  const CLIENT = "abc123client";
  const issuer = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;

  it("gives members of the trader group the trader role, everyone else the viewer's, and refuses another client's or an id token", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const verifier = cognitoVerifier(POOL, CLIENT, { keys: [jwk as never] });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT({ token_use: "access", client_id: CLIENT, username: "tess", ...claims })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(issuer)
        .setSubject("0f1e2d3c")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey);
    expect(await verifier.verify(await sign({ "cognito:groups": ["trader"] }))).toEqual({
      subject: "0f1e2d3c",
      username: "tess",
      role: "trader",
    });
    expect((await verifier.verify(await sign({}))).role).toBe("viewer");
    for (const claims of [{ client_id: "another" }, { token_use: "id" }])
      await expect(verifier.verify(await sign(claims))).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
  });
});
