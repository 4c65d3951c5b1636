import { defineEndpoint } from "../endpoint";
import { knownStrategy, readSideQuery } from "../../read-side";

/** GET /api/signals?strategy=&symbol=&from=&to=&limit=&cursor=: signals from the read side, newest first. */
export const signals = defineEndpoint("signals", ({ query, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    await knownStrategy(rs, query.strategy);
    return rs.signals(query);
  }),
);

export const handler = signals.lambda();
