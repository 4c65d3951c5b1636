import { defineEndpoint } from "../endpoint";
import { knownStrategy, readSideQuery } from "../../read-side";

/** GET /api/fills?strategy=&symbol=&side=&from=&to=&limit=&cursor=: fills from the read side, newest first. */
export const fills = defineEndpoint("fills", ({ query, deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    await knownStrategy(rs, query.strategy);
    return rs.fills(query);
  }),
);

export const handler = fills.lambda();
