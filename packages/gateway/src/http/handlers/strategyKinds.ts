import { STRATEGIES } from "@tickflow/core";
import { z } from "zod";
import { defineEndpoint } from "../endpoint";

/** Each kind's parameters as JSON Schema (input form: what a request may send, with bounds and defaults), made once. */
const KINDS = [...STRATEGIES.values()].map((definition) => {
  const { $schema: _schema, ...params } = z.toJSONSchema(definition.params, { io: "input" }) as Record<string, unknown>;
  return { kind: definition.kind, params };
});

/** GET /api/strategy-kinds: what a strategy.add may name, and the forms of their parameters. */
export const strategyKinds = defineEndpoint("strategyKinds", async () => KINDS);

export const handler = strategyKinds.lambda();
