import { strategyDefinition, strategyParamNames } from "@tickflow/core";
import { UsageError } from "./errors";

type Params = Record<string, unknown>;

function isObject(value: unknown): value is Params {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parameter names a strategy kind accepts (an unknown kind throws the registry's error, listing the valid ones). */
function accepted(kind: string): string[] {
  return strategyParamNames(strategyDefinition(kind));
}

function checkKeys(id: string, params: Params, where: string): void {
  const valid = accepted(id);
  for (const key of Object.keys(params))
    if (!valid.includes(key))
      throw new UsageError(`${where}: unknown parameter "${key}" for ${id}; valid parameters: ${valid.join(", ")}`);
}

/**
 * Each strategy instance's raw parameters from `--params` and the repeatable `--param`.
 *
 * `--params` is a JSON object keyed by strategy id (`{"sma-crossover":{"fast":5}}`), or, as
 * before, one flat object of parameters (`{"fast":5}`): each of its keys then goes to every
 * strategy of the run that accepts it, and a key none of them accepts is an error. `--param
 * id.name=value` sets one parameter of one strategy (the value is JSON when it parses as JSON,
 * a string otherwise) and wins over `--params`. Unknown ids and names throw a UsageError naming
 * them and listing the valid ones. The values are checked later by the strategy's schema.
 */
export function strategyParams(
  ids: readonly string[],
  json: string | undefined,
  pairs: readonly string[],
): Map<string, Params> {
  const out = new Map<string, Params>(ids.map((id) => [id, {}]));
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--params is not valid JSON: ${(error as Error).message}`);
    }
    if (!isObject(parsed))
      throw new UsageError(`--params must be a JSON object, e.g. '{"sma-crossover":{"fast":10}}' or '{"fast":10}'`);
    const keys = Object.keys(parsed);
    const keyed = keys.filter((k) => ids.includes(k));
    if (keyed.length > 0) {
      for (const key of keys) {
        if (!ids.includes(key))
          throw new UsageError(
            `--params: "${key}" is not a strategy of this run; keyed by strategy id, it takes: ${ids.join(", ")}`,
          );
        const value = parsed[key];
        if (!isObject(value)) throw new UsageError(`--params: the parameters of ${key} must be a JSON object`);
        checkKeys(key, value, "--params");
        Object.assign(out.get(key)!, value);
      }
    } else {
      for (const key of keys) {
        const takers = ids.filter((id) => accepted(id).includes(key));
        if (takers.length === 0)
          throw new UsageError(
            `--params: unknown parameter "${key}"; valid parameters: ${ids.map((id) => `${id}: ${accepted(id).join(", ")}`).join("; ")}`,
          );
        for (const id of takers) out.get(id)![key] = parsed[key];
      }
    }
  }
  for (const pair of pairs) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(pair);
    if (!match)
      throw new UsageError(`--param "${pair}": expected <strategy>.<name>=<value>, e.g. sma-crossover.fast=5`);
    const [, id, name, raw] = match as unknown as [string, string, string, string];
    if (!ids.includes(id))
      throw new UsageError(`--param "${pair}": "${id}" is not a strategy of this run; strategies: ${ids.join(", ")}`);
    checkKeys(id, { [name]: null }, `--param "${pair}"`);
    out.get(id)![name] = jsonOrString(raw);
  }
  return out;
}

function jsonOrString(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
