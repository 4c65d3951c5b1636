import { StrategySchema } from "@tickflow/core";
import { z } from "zod";
import type { Upstream } from "../upstream";

/** Which strategies exist, for refusing halts of strategies that do not (forged or stray records). */
export interface StrategyDirectory {
  /** Whether a strategy with this id runs; throws when that cannot be known now (its source is unreachable): a failure that may pass. */
  has(strategyId: string): Promise<boolean>;
}

/** Only the ids of the strategy worker's strategies view: the rest of it may change without concerning this check. */
const RunningStrategiesSchema = z.array(StrategySchema.pick({ id: true }));

/**
 * The strategies the strategy worker runs (GET /strategies), cached for `ttlMs`. An id missing
 * from the cached list asks again once the list is `refreshAfterMs` old, so a strategy added a
 * moment ago is found, while a flood of forged ids costs at most one call per `refreshAfterMs`.
 * Concurrent lookups share one call; a failed call throws to every waiting lookup.
 */
export class RunningStrategies implements StrategyDirectory {
  private list: { ids: Set<string>; at: number } | null = null;
  private inFlight: Promise<Set<string>> | null = null;

  constructor(
    private readonly strategy: Upstream,
    private readonly options: { ttlMs?: number; refreshAfterMs?: number; now?: () => number } = {},
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private fetch(): Promise<Set<string>> {
    this.inFlight ??= this.strategy
      .getJson("/strategies", RunningStrategiesSchema)
      .then((strategies) => {
        const ids = new Set(strategies.map((s) => s.id));
        this.list = { ids, at: this.now };
        return ids;
      })
      .finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  async has(strategyId: string): Promise<boolean> {
    const age = this.list ? this.now - this.list.at : Infinity;
    if (
      this.list &&
      age < (this.options.ttlMs ?? 5_000) &&
      (this.list.ids.has(strategyId) || age < (this.options.refreshAfterMs ?? 1_000))
    )
      return this.list.ids.has(strategyId);
    return (await this.fetch()).has(strategyId);
  }
}
