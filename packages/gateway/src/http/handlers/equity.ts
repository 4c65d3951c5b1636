import { defineEndpoint } from "../endpoint";
import { knownStrategy, readSideQuery } from "../../read-side";

/** GET /api/equity?strategy=&from=&to=&limit=&cursor=: one strategy's equity samples, or the portfolio's, oldest first. */
export const equity = defineEndpoint("equity", ({ query, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    await knownStrategy(rs, query.strategy);
    return rs.equity(query);
  }),
);

export const handler = equity.lambda();
