import { z } from "zod";
import { ConfigError } from "../errors";
import { breakout } from "./breakout";
import { meanReversion } from "./mean-reversion";
import { smaCrossover } from "./sma-crossover";
import type { StrategyDefinition } from "./strategy";

export * from "./strategy";
export { smaCrossover, SmaCrossoverParamsSchema } from "./sma-crossover";
export { meanReversion, MeanReversionParamsSchema } from "./mean-reversion";
export { breakout, BreakoutParamsSchema } from "./breakout";

/** Every strategy by its kind id. */
export const STRATEGIES: ReadonlyMap<string, StrategyDefinition> = new Map<string, StrategyDefinition>(
  [smaCrossover, meanReversion, breakout].map((d) => [d.kind, d as unknown as StrategyDefinition]),
);

export function strategyDefinition(
  kind: string,
  registry: ReadonlyMap<string, StrategyDefinition> = STRATEGIES,
): StrategyDefinition {
  const definition = registry.get(kind);
  if (!definition)
    throw new ConfigError(`unknown strategy "${kind}"; valid strategies: ${[...registry.keys()].join(", ")}`);
  return definition;
}

/** Parses raw parameters with the strategy's schema (defaults applied); bad ones throw a ConfigError. */
export function parseStrategyParams(definition: StrategyDefinition, raw: unknown): Record<string, unknown> {
  const parsed = definition.params.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    throw new ConfigError(
      `bad params for ${definition.kind}: ${issues}; accepted params: ${strategyParamNames(definition).join(", ")}`,
    );
  }
  return parsed.data as Record<string, unknown>;
}

/** The parameter names a strategy's schema accepts, in its order. */
export function strategyParamNames(definition: StrategyDefinition): string[] {
  const json = z.toJSONSchema(definition.params, { io: "input" }) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}
