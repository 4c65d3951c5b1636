import { defineEndpoint } from "../endpoint";
import { PortfolioSchema } from "../../schemas";

/** GET /api/portfolio: all strategies together, with the combined equity curve and drawdown. */
export const portfolio = defineEndpoint("portfolio", ({ deps }) =>
  deps.strategy.getJson("/portfolio", PortfolioSchema),
);

export const handler = portfolio.lambda();
