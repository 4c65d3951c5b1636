import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS } from "../src/http/endpoints";
import { openApiDocument } from "../src/http/openapi";
import { DEFAULT_ROUTE_HANDLER, DEFAULT_ROUTE_KEY, handlerPath, ROUTES, type HandlerName } from "../src/http/routes";
import { RISK_CONSUMER_HANDLER } from "../src/risk-consumer/handler";
import { CONTRACTS, type Contract } from "../src/schemas";
import { STREAM_PATH } from "../src/stream-schema";
import { STREAM_FANOUT_HANDLER } from "../src/stream/aws-fanout";
import { context, fixture, httpEvent, parse, testDeps } from "./support/events";
import { HALTING_DRAWDOWN, startInProcessWorkers, type InProcessWorkers } from "./support/workers";

const root = resolve(import.meta.dirname, "../../..");
type Json = Record<string, unknown>;
const doc = openApiDocument() as {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

/** The module file and export an SST handler string ("path/file.export") names. */
function moduleOf(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  return { file: resolve(root, `${handler.slice(0, dot)}.ts`), exportName: handler.slice(dot + 1) };
}

/**
 * The OAI's OpenAPI 3.1 schema (test/fixtures, $id .../oas/3.1/schema/2022-10-07). Ajv 8 resolves
 * its `"$dynamicRef": "#meta"` to the wrong anchor (even a minimal valid document fails), so the
 * reference is pointed at the anchor's only definition, $defs/schema, which is what it means here.
 */
function oasValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat("media-range", /^(\*\/\*|[\w!#$%&'*+.^`|~-]+\/(\*|[\w!#$%&'*+.^`|~-]+))(\s*;.*)?$/);
  const schema = JSON.stringify(fixture<Json>("oas-3.1-schema-2022-10-07.json")).replaceAll(
    '"$dynamicRef":"#meta"',
    '"$ref":"#/$defs/schema"',
  );
  return ajv.compile(JSON.parse(schema) as Json);
}

/** Every schema of the document under one JSON Schema resource, refs rewritten to it. */
function schemaValidator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const defs = JSON.parse(
    JSON.stringify(doc.components.schemas).replaceAll("#/components/schemas/", "#/$defs/"),
  ) as Record<string, Json>;
  ajv.addSchema({ $id: "https://tickflow.test/api", $defs: defs });
  return (schema: Json) =>
    ajv.compile(
      JSON.parse(
        JSON.stringify(schema).replaceAll("#/components/schemas/", "https://tickflow.test/api#/$defs/"),
      ) as Json,
    );
}

describe("the route table", () => {
  it("has a handler module exporting a function for every route, where SST will look for it", async () => {
    for (const route of ROUTES) {
      const { file, exportName } = moduleOf(handlerPath(route.handler));
      expect(existsSync(file), file).toBe(true);
      const mod = (await import(file)) as Record<string, unknown>;
      expect(typeof mod[exportName], `${file} exports ${exportName}`).toBe("function");
      expect(ENDPOINTS[route.handler].name).toBe(route.handler);
    }
  });

  it("has the risk consumer's module where RISK_CONSUMER_HANDLER points", async () => {
    const { file, exportName } = moduleOf(RISK_CONSUMER_HANDLER);
    const mod = (await import(file)) as Record<string, unknown>;

    expect(typeof mod[exportName]).toBe("function");
  });

  it("has the stream fan-out's module where STREAM_FANOUT_HANDLER points", async () => {
    const { file, exportName } = moduleOf(STREAM_FANOUT_HANDLER);
    const mod = (await import(file)) as Record<string, unknown>;

    expect(typeof mod[exportName]).toBe("function");
  });

  it("has the $default route's module where DEFAULT_ROUTE_HANDLER points, and keeps $default out of the public routes", async () => {
    const { file, exportName } = moduleOf(DEFAULT_ROUTE_HANDLER);
    const mod = (await import(file)) as Record<string, unknown>;

    expect(typeof mod[exportName]).toBe("function");
    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).not.toContain(DEFAULT_ROUTE_KEY);
    expect(JSON.stringify(doc)).not.toContain(DEFAULT_ROUTE_KEY);
  });

  it("keeps the schemas importable by the web app: only zod and @tickflow/core, at @tickflow/gateway/schemas", async () => {
    const source = readFileSync(resolve(root, "packages/gateway/src/schemas.ts"), "utf8");
    const imports = [...source.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"/gms)].map((m) => m[1]);

    expect(new Set(imports)).toEqual(new Set(["@tickflow/core", "zod"]));
    expect((await import("@tickflow/gateway/schemas")).CONTRACTS).toBe(CONTRACTS);
  });

  it("has exactly one contract per route handler", () => {
    expect(Object.keys(CONTRACTS).sort()).toEqual(ROUTES.map((r) => r.handler).sort());
  });
});

describe("the OpenAPI document", () => {
  it("describes every route and the stream, and nothing else, under its path and method", () => {
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set([...ROUTES.map((r) => r.path), STREAM_PATH])].sort());
    for (const route of ROUTES) {
      expect(Object.keys(doc.paths[route.path]!).sort()).toEqual(
        ROUTES.filter((r) => r.path === route.path)
          .map((r) => r.method.toLowerCase())
          .sort(),
      );
      expect(doc.paths[route.path]![route.method.toLowerCase()]).toMatchObject({ operationId: route.handler });
    }
  });

  it("documents the stream's upgrade: its query, its refusals, and the messages under 101", () => {
    const stream = doc.paths[STREAM_PATH]!.get as {
      parameters: { name: string; in: string }[];
      responses: Record<string, { content?: Record<string, { schema: Json }> }>;
    };
    expect(stream.parameters.map((p) => `${p.in} ${p.name}`)).toEqual([
      "query channels",
      "query since",
      "query access_token",
    ]);
    expect(Object.keys(stream.responses).sort()).toEqual(["101", "400", "401", "403", "426", "503"]);
    expect(stream.responses["101"]!.content!["application/json"]!.schema).toEqual({
      $ref: "#/components/schemas/StreamMessage",
    });
    // the message schema accepts what the stream sends and refuses a message without its position
    const validate = schemaValidator()(doc.components.schemas.StreamMessage!);
    const hello = { channel: "control", type: "hello", seq: 0, channels: ["quotes"], heartbeatMs: 15_000 };
    expect(validate(hello), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...hello, seq: undefined })).toBe(false);
  });

  it("is valid OpenAPI 3.1 (the OAI 2022-10-07 schema), which a broken document is not", () => {
    const validate = oasValidator();
    const broken = structuredClone(doc);
    delete ((broken.paths["/api/quotes"]!.get!.responses as Record<string, Json>)["200"] as Json).description;

    const valid = validate(doc);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    expect(validate(broken)).toBe(false);
  });

  it("holds only valid JSON Schema 2020-12, in components and in parameters (ajv strict mode)", () => {
    const compile = schemaValidator();
    for (const [name, schema] of Object.entries(doc.components.schemas))
      expect(() => compile(schema), name).not.toThrow();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations) as [string, Json][]) {
        for (const parameter of (operation.parameters ?? []) as { name: string; schema: Json }[])
          expect(() => compile(parameter.schema), `${method} ${path} ${parameter.name}`).not.toThrow();
        const body = (operation.requestBody as { content: { "application/json": { schema: Json } } } | undefined)
          ?.content["application/json"].schema;
        if (body) expect(() => compile(body), `${method} ${path} body`).not.toThrow();
      }
    }
  });

  it("documents the problem statuses each route can answer", () => {
    expect(Object.keys(doc.paths["/api/bars/{symbol}"]!.get!.responses as Json).sort()).toEqual([
      "200",
      "400",
      "404",
      "503",
    ]);
    for (const path of ["/api/fills", "/api/trades", "/api/orders", "/api/signals", "/api/equity"])
      expect(Object.keys(doc.paths[path]!.get!.responses as Json).sort(), path).toEqual(["200", "400", "404", "503"]);
    expect(Object.keys(doc.paths["/api/health"]!.get!.responses as Json).sort()).toEqual(["200", "503"]);
    expect(Object.keys(doc.paths["/api/quotes"]!.get!.responses as Json).sort()).toEqual(["200", "502", "503"]);
  });

  it("says what the parameters' parsing enforces: unknown and repeated query parameters are 400 on a route that takes any, ignored on one that takes none", () => {
    const info = (doc as unknown as { info: { description: string } }).info.description;
    const badRequest = (doc as unknown as { components: { responses: Record<string, { description: string }> } })
      .components.responses.BadRequest!.description;

    expect(badRequest).toMatch(/is not one of the route's, or is given more than once; `parameter` names it/);
    expect(info).toContain(
      "A route with query parameters refuses any other parameter and any parameter given twice (400); a route without them does not read the query string.",
    );
    // a route that takes query parameters documents its 400
    for (const route of ROUTES) {
      const responses = Object.keys(doc.paths[route.path]![route.method.toLowerCase()]!.responses as Json);
      if ((CONTRACTS[route.handler] as Contract).query) expect(responses, route.path).toContain("400");
    }
  });

  it("documents both bodies of the health route's 503: the Health document, and a problem when the check ran out of time", () => {
    const unavailable = (
      doc.paths["/api/health"]!.get!.responses as Record<string, { content: Record<string, { schema: Json }> }>
    )["503"]!;

    expect(unavailable.content).toEqual({
      "application/json": { schema: { $ref: "#/components/schemas/Health" } },
      "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
    });
  });
});

describe("the documented schemas against real answers", () => {
  let workers: InProcessWorkers;
  beforeAll(async () => {
    workers = await startInProcessWorkers({ maxDrawdown: HALTING_DRAWDOWN });
  }, 90_000);
  afterAll(async () => {
    await workers?.stop();
  });

  const requests: [HandlerName, Parameters<typeof httpEvent>[1]][] = [
    ["health", {}],
    ["instruments", {}],
    ["quotes", {}],
    ["quote", { path: { symbol: "EUR-USD" }, query: "limit=3" }],
    ["quote", { path: { symbol: "GBP-USD" } }],
    ["quote", { path: { symbol: "ABC" } }],
    ["bars", { path: { symbol: "AAPL" }, query: "interval=1m" }],
    ["bars", { path: { symbol: "AAPL" }, query: "interval=4h" }],
    ["strategies", {}],
    ["strategy", { path: { id: "mr" } }],
    ["strategy", { path: { id: "gone" } }],
    ["signals", { query: "limit=50" }],
    ["orders", { query: "strategy=bo&status=rejected" }],
    ["orders", { query: "limit=200" }],
    ["orders", { query: "limit=-1" }],
    ["orders", { query: "strategy=nobody" }],
    ["fills", { query: "strategy=mr&side=buy&limit=20" }],
    ["fills", { query: "cursor=NOPE" }],
    ["fills", { query: "from=9000000000000&to=1" }],
    ["trades", { query: "symbol=AAPL" }],
    ["equity", { query: "strategy=sma&limit=30" }],
    ["equity", {}],
    ["positions", {}],
    ["portfolio", {}],
    ["alerts", {}],
    ["openapi", {}],
  ];

  it("validate every answer of the running handlers, success or problem", async () => {
    const compile = schemaValidator();
    const deps = testDeps({
      MARKET_DATA_URL: workers.marketDataUrl,
      STRATEGY_URL: workers.strategyUrl,
      DATABASE_URL: workers.databaseUrl,
    });
    const statuses = new Set<number>();
    for (const [name, params] of requests) {
      const route = ROUTES.find((r) => r.handler === name)!;
      const response = parse(await ENDPOINTS[name].create(deps)(httpEvent(name, params), context()));
      const documented = (doc.paths[route.path]!.get!.responses as Record<string, Json>)[String(response.status)];
      expect(documented, `${name} ${JSON.stringify(params)} answered an undocumented ${response.status}`).toBeDefined();
      const schema =
        response.status < 400 || name === "health"
          ? (documented!.content as Record<string, { schema: Json }>)["application/json"]!.schema
          : { $ref: "#/components/schemas/Problem" };
      const validate = compile(schema);
      expect(validate(response.body), `${name} ${JSON.stringify(params)}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
      statuses.add(response.status);
    }
    expect([...statuses].sort()).toEqual([200, 400, 404]);
  });
});
