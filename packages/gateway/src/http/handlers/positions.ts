import { defineEndpoint } from "../endpoint";
import { PositionsSchema } from "../../schemas";

/** GET /api/positions: every strategy's position in each of its symbols. */
export const positions = defineEndpoint("positions", ({ deps }) =>
  deps.strategy.getJson("/positions", PositionsSchema),
);

export const handler = positions.lambda();
