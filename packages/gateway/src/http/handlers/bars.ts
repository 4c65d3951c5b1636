import { defineEndpoint } from "../endpoint";
import { readSideQuery } from "../../read-side";

/** GET /api/bars/{symbol}?interval=&limit=&from=&to=: the latest closed bars from the read side, oldest first. */
export const bars = defineEndpoint("bars", ({ path, query, deps }) =>
  readSideQuery(deps.readSide, (rs) => rs.bars(path.symbol, query.interval, query)),
);

export const handler = bars.lambda();
