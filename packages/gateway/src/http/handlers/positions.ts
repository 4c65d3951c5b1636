import { defineEndpoint } from "../endpoint";
import { readSideQuery } from "../../read-side";

/** GET /api/positions: every strategy's latest position in each symbol it has traded, from the read side. */
export const positions = defineEndpoint("positions", ({ deps }) =>
  readSideQuery(deps.readSide, (rs) => rs.positions()),
);

export const handler = positions.lambda();
