import { z } from "zod";
import { ROUTES } from "./routes";
import * as S from "../schemas";
import { STREAM_CLOSE_CODES, STREAM_PATH, StreamMessageSchema, StreamQuerySchema } from "../stream-schema";

/** The version of the public API contract (not of the package): bump it when a response shape changes. */
export const API_VERSION = "2.1.0";

/** Named schemas, emitted once under components.schemas and referenced wherever they occur. */
const COMPONENTS: Record<string, z.ZodType> = {
  Instrument: S.InstrumentSchema,
  Instruments: S.InstrumentsSchema,
  Quote: S.QuoteSchema,
  Quotes: S.QuotesSchema,
  QuoteTick: S.QuoteTick,
  QuoteDetail: S.QuoteDetailSchema,
  Bar: S.Bar,
  Bars: S.BarsSchema,
  Position: S.PositionSchema,
  StrategyPosition: S.StrategyPositionSchema,
  Positions: S.PositionsSchema,
  StrategyAccount: S.StrategyAccountSchema,
  Strategy: S.StrategySchema,
  Strategies: S.StrategiesSchema,
  EquityPoint: S.EquityPointSchema,
  StrategyDetail: S.StrategyDetailSchema,
  Signal: S.Signal,
  SignalPage: S.SignalPageSchema,
  Order: S.OrderStateSchema,
  OrderPage: S.OrderPageSchema,
  Fill: S.FillPageSchema.shape.items.element,
  FillPage: S.FillPageSchema,
  Trade: S.TradePageSchema.shape.items.element,
  TradePage: S.TradePageSchema,
  EquitySample: S.EquityPageSchema.shape.items.element,
  EquityPage: S.EquityPageSchema,
  Portfolio: S.PortfolioSchema,
  Alert: S.AlertSchema,
  Alerts: S.AlertsSchema,
  DependencyHealth: S.DependencyHealthSchema,
  Health: S.HealthSchema,
  OpenApiDocument: S.OpenApiDocumentSchema,
  Problem: S.ProblemSchema,
  Command: S.CommandViewSchema,
  CommandPage: S.CommandPageSchema,
  CommandAccepted: S.CommandAcceptedSchema,
  StrategyKinds: S.StrategyKindsSchema,
  Token: S.TokenSchema,
  StreamMessage: StreamMessageSchema,
};

type JsonSchema = Record<string, unknown>;

/** zod writes a standalone document; inside OpenAPI a schema carries neither `$schema` nor zod's fragment `$id` (2020-12 forbids fragments in `$id`). */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

const PROBLEM_RESPONSES: Record<S.ProblemStatus, { name: string; description: string }> = {
  400: {
    name: "BadRequest",
    description:
      "A query parameter is invalid, is not one of the route's, or is given more than once; `parameter` names it (code invalid-parameter)",
  },
  401: {
    name: "Unauthenticated",
    description:
      "No bearer token where the route needs one, or one that is expired, badly signed or not this API's (code unauthenticated, with WWW-Authenticate: Bearer); for the token route, wrong credentials (code invalid-credentials)",
  },
  403: {
    name: "Forbidden",
    description: "The token is valid but its role may not do this: a viewer sending a command (code forbidden)",
  },
  413: { name: "PayloadTooLarge", description: "The request body is larger than 16 KiB (code body-too-large)" },
  415: {
    name: "UnsupportedMediaType",
    description: "The body is not sent as application/json (code unsupported-media-type)",
  },
  422: {
    name: "UnprocessableContent",
    description: "The Idempotency-Key was used before for another request (code idempotency-key-reused)",
  },
  404: {
    name: "NotFound",
    description:
      "The symbol or strategy does not exist, in the path or as a filter (code unknown-symbol or unknown-strategy)",
  },
  502: {
    name: "BadGateway",
    description:
      "A worker answered with an error or with data the API does not document (code upstream-error, upstream-invalid-response or upstream-rejected)",
  },
  503: {
    name: "ServiceUnavailable",
    description:
      "A worker is unreachable or did not answer in time (code upstream-unavailable or upstream-timeout), the read side's database is not configured or did not answer (code read-side-unavailable) or has no sample yet (code read-side-empty), or the request as a whole ran out of time (code timeout); retry after Retry-After seconds",
  },
};

const PROBLEM_CONTENT = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

const RETRY_AFTER = {
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
};

function parameters(where: "path" | "query", schema: z.ZodObject | undefined): JsonSchema[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = embedded(z.toJSONSchema(field as z.ZodType, { io: "input" }) as JsonSchema);
    const { description, ...fieldSchema } = json;
    return {
      name,
      in: where,
      required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

/**
 * The stream's entry: OpenAPI 3.1 has no WebSocket operation, so this is the upgrade's GET, its
 * query, its refusals (problem+json, like every route) and, under 101, the messages that follow.
 */
function streamOperation(message: JsonSchema): JsonSchema {
  const problem = (description: string) => ({ description, content: PROBLEM_CONTENT });
  return {
    operationId: "stream",
    summary: "Every event as it lands on Kafka, pushed over a WebSocket (local gateway)",
    description:
      "Send GET with `Upgrade: websocket`. Each text frame is one StreamMessage (JSON): `hello` first, then events " +
      "`{ seq, channel, type, id, tsEvent, data }`, `resync` when `since` is out of reach, and heartbeats. " +
      "The client sends nothing. Close codes: " +
      `${STREAM_CLOSE_CODES.slowConsumer} (too slow: reconnect with since), ` +
      `${STREAM_CLOSE_CODES.tokenExpired} (the token expired: reconnect with a fresh one), ` +
      "1001 (the gateway is stopping), 1003 (a message was sent), 1009 (a frame over 1 KiB).",
    tags: ["stream"],
    parameters: parameters("query", StreamQuerySchema),
    security: [{}, { bearer: [] }],
    responses: {
      "101": {
        description: "Switching Protocols: the WebSocket; every frame is a StreamMessage",
        content: { "application/json": { schema: message } },
      },
      "400": problem("A query parameter is invalid or unknown (code invalid-parameter)"),
      "401": { $ref: `#/components/responses/${PROBLEM_RESPONSES[401].name}` },
      "403": problem("The Origin is not one of CORS_ORIGINS (code forbidden-origin)"),
      "426": {
        ...problem("A plain request, not a WebSocket upgrade (code upgrade-required)"),
        headers: { Upgrade: { description: "websocket", schema: { type: "string" } } },
      },
      "503": problem("The gateway is stopping (code unavailable)"),
    },
  };
}

let cached: JsonSchema | undefined;

/**
 * The OpenAPI 3.1 document of the public API, generated from ROUTES and the contracts' zod
 * schemas: the same schemas the handlers parse their input and their upstreams' answers with.
 * JSON Schema 2020-12 (what z.toJSONSchema emits) is OpenAPI 3.1's default schema dialect.
 */
export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  const refOf = (schema: z.ZodType): JsonSchema => {
    const id = registry.get(schema)?.id;
    return id ? { $ref: `#/components/schemas/${id}` } : embedded(z.toJSONSchema(schema) as JsonSchema);
  };

  const paths: Record<string, JsonSchema> = {};
  for (const route of ROUTES) {
    const contract: S.Contract = S.CONTRACTS[route.handler];
    const content = {
      "application/json": { schema: refOf(contract.response) },
      // a list route's page as CSV: a header row, then one row per item (nested values as JSON); the next page's cursor in the Link header
      ...(contract.csv ? { "text/csv": { schema: { type: "string" } } } : {}),
    };
    const responses: Record<string, JsonSchema> = {
      [String(contract.success ?? 200)]: {
        description: contract.success
          ? "Accepted: the command is on strategy.commands.v1. Its outcome appears at `Location` once the strategy worker has applied or rejected it"
          : contract.csv
            ? 'OK. With `Accept: text/csv`, the page as CSV, and the next page\'s URL in `Link: <...>; rel="next"`'
            : "OK",
        content,
        ...(contract.csv
          ? { headers: { Link: { description: 'The next page: `<url>; rel="next"`', schema: { type: "string" } } } }
          : {}),
        ...(contract.success
          ? {
              headers: {
                Location: { description: "The command: /api/commands/{commandId}", schema: { type: "string" } },
              },
            }
          : {}),
      },
    };
    for (const status of contract.problems)
      responses[String(status)] = { $ref: `#/components/responses/${PROBLEM_RESPONSES[status].name}` };
    // health's 503 is either of two documents: tell them apart by content type (or by `dependencies`)
    if (route.handler === "health") {
      responses["503"] = {
        description:
          "At least one dependency is down (the same Health body as the 200), or the health check itself ran out of time (problem+json, code timeout, with Retry-After)",
        content: { ...content, ...PROBLEM_CONTENT },
        headers: RETRY_AFTER,
      };
    }
    const idempotencyKey = {
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "Becomes the command id: the same key with the same request answers the first answer again and publishes nothing; with another request, 422",
      schema: { type: "string", pattern: "^[A-Za-z0-9_-]{8,64}$" },
    };
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: {
        operationId: route.handler,
        summary: contract.summary,
        tags: [contract.tag],
        parameters: [
          ...parameters("path", contract.path),
          ...parameters("query", contract.query),
          ...("command" in route ? [idempotencyKey] : []),
        ],
        ...(contract.body
          ? {
              requestBody: {
                required: !contract.bodyOptional,
                content: {
                  "application/json": {
                    schema: embedded(z.toJSONSchema(contract.body, { io: "input" }) as JsonSchema),
                  },
                },
              },
            }
          : {}),
        // open: no token; read: a token on AWS (and locally with AUTH_READS=token); trade: a trader's token
        security: route.access === "open" ? [] : route.access === "read" ? [{}, { bearer: [] }] : [{ bearer: [] }],
        responses,
      },
    };
  }

  paths[STREAM_PATH] = { get: streamOperation(refOf(StreamMessageSchema)) };

  const responses = Object.fromEntries(
    Object.entries(PROBLEM_RESPONSES).map(([status, { name, description }]) => [
      name,
      { description, content: PROBLEM_CONTENT, ...(status === "503" ? { headers: RETRY_AFTER } : {}) },
    ]),
  );

  cached = {
    openapi: "3.1.0",
    info: {
      title: "Tickflow API",
      version: API_VERSION,
      description:
        "Market data and paper trading: quotes, bars, strategies, signals, orders, positions, portfolio and risk alerts. " +
        "Errors are application/problem+json with a stable `code`: 400 for bad input, 404 for an unknown symbol or strategy, " +
        "502/503 when a worker behind the API fails or is unreachable. " +
        "A route with query parameters refuses any other parameter and any parameter given twice (400); a route without them does not read the query string. " +
        "Integer parameters are decimal digits only (no sign but minus, no exponent, no hex, no spaces).",
    },
    tags: [
      { name: "market-data", description: "From the market-data worker" },
      { name: "strategy", description: "From the strategy worker" },
      { name: "alerts", description: "Risk alerts" },
      { name: "history", description: "From the read side (PostgreSQL)" },
      {
        name: "commands",
        description: "Commands to the strategy worker through strategy.commands.v1, and their audit",
      },
      { name: "stream", description: "Pushed events: a WebSocket (the local gateway; AppSync Events on AWS)" },
      { name: "system", description: "Health and this document" },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, embedded(s)])),
      responses,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "Locally from POST /api/auth/token; on AWS a Cognito access token",
        },
      },
    },
  };
  return cached;
}
