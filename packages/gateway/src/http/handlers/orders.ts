import { defineEndpoint } from "../endpoint";
import { knownStrategy, readSideQuery } from "../../read-side";

/** GET /api/orders?strategy=&symbol=&side=&type=&status=&from=&to=&limit=&cursor=: orders at their latest state, newest first. */
export const orders = defineEndpoint("orders", ({ query, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    await knownStrategy(rs, query.strategy);
    return rs.orders(query);
  }),
);

export const handler = orders.lambda();
