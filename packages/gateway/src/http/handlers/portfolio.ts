import { HttpProblem } from "@tickflow/runtime";
import { defineEndpoint } from "../endpoint";
import { readSideQuery } from "../../read-side";

/** The combined curve's points in the answer: the latest ones (the full history is /api/equity). */
const CURVE_POINTS = 500;

/** GET /api/portfolio: all strategies together as of the latest sample, with the drawdown since start. */
export const portfolio = defineEndpoint("portfolio", ({ deps }) =>
  readSideQuery(deps.readSide, async (rs) => {
    const view = await rs.portfolio(CURVE_POINTS);
    if (!view)
      throw new HttpProblem(
        503,
        "read-side-empty",
        "no portfolio sample yet: the first one comes with the first closed bar",
        {},
        {
          headers: { "retry-after": "1" },
        },
      );
    return view;
  }),
);

export const handler = portfolio.lambda();
