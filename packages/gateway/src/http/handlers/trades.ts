import { defineEndpoint } from "../endpoint";
import { knownStrategy, readSideQuery } from "../../read-side";

/** GET /api/trades?strategy=&symbol=&side=&from=&to=&limit=&cursor=: closed round trips from the read side, newest first. */
export const trades = defineEndpoint("trades", ({ query, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    await knownStrategy(rs, query.strategy);
    return rs.trades(query);
  }),
);

export const handler = trades.lambda();
