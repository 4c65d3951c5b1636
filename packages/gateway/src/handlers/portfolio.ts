import { defineEndpoint } from "../endpoint";
import { PortfolioSchema } from "../schemas";

/** GET /api/portfolio: all strategies together, with the combined equity curve and drawdown. */
export const portfolio = defineEndpoint("portfolio", ({ deps, signal }) => deps.strategy.getJson("/portfolio", PortfolioSchema, { signal }));

export const handler = portfolio.lambda();
