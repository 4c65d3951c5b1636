import {
  MarketSimulator,
  parseReplayCsv,
  Prng,
  type QuoteTick,
  type ReplayOptions,
  type Universe,
} from "@tickflow/core";
import type { MarketDataConfig } from "./config";

/** Where ticks come from. `next` returns the ticks due at `now` (wall ms), or null when exhausted. */
export interface TickFeed {
  next(now: number): QuoteTick[] | null;
  /** Continue a symbol after the last tick found on Kafka, so seq never repeats or skips. */
  resume(last: QuoteTick): void;
}

/** Rounds are skipped, not replayed, after a stall longer than this: a live feed does not backfill. */
const MAX_CATCH_UP_MS = 1_000;
const MAX_TICKS_PER_CALL = 5_000;

/** The simulator, one tick per symbol per round at the configured rate, on the wall or a simulated clock. */
export class SimulatedFeed implements TickFeed {
  private readonly simulator: MarketSimulator;
  private readonly intervalMs: number;
  private started: number | null = null;
  private rounds = 0;
  private published = 0;

  constructor(
    private readonly config: MarketDataConfig,
    universe: Universe,
  ) {
    const instruments = universe.select(config.MD_SYMBOLS);
    this.simulator = new MarketSimulator({
      instruments,
      seed: config.MD_SEED,
      tickIntervalMs: config.MD_TICKS_PER_SECOND > 0 ? 1_000 / config.MD_TICKS_PER_SECOND : 50,
      ...(config.MD_START_TIME !== undefined ? { startTime: config.MD_START_TIME } : {}),
    });
    this.intervalMs = config.MD_TICKS_PER_SECOND > 0 ? 1_000 / config.MD_TICKS_PER_SECOND : 0;
  }

  next(now: number): QuoteTick[] | null {
    const max = this.config.MD_MAX_TICKS;
    if (max > 0 && this.published >= max) return null;
    this.started ??= now;
    const symbols = this.config.MD_SYMBOLS.length;
    let due: number;
    if (this.intervalMs === 0) due = Math.ceil(MAX_TICKS_PER_CALL / symbols);
    else {
      const target = Math.floor((now - this.started) / this.intervalMs) + 1;
      if ((target - this.rounds) * this.intervalMs > MAX_CATCH_UP_MS) this.rounds = target - 1;
      due = Math.min(target - this.rounds, Math.ceil(MAX_TICKS_PER_CALL / symbols));
    }
    const ticks: QuoteTick[] = [];
    for (let r = 0; r < due; r++) {
      for (const symbol of this.config.MD_SYMBOLS) {
        if (max > 0 && this.published >= max) break;
        ticks.push(this.config.MD_CLOCK === "wall" ? this.simulator.quoteAt(symbol, now) : this.simulator.next());
        this.published += 1;
      }
    }
    this.rounds += due;
    return ticks;
  }

  resume(last: QuoteTick): void {
    // The generator restarts from a seed derived from the point of resumption: deterministic,
    // and independent of how many ticks the previous process drew.
    this.simulator.resume({
      symbol: last.symbol,
      seq: last.seq,
      logPrice: Math.log((last.bid + last.ask) / 2),
      lastTs: last.tsEvent,
      prng: new Prng(`${this.config.MD_SEED}/${last.symbol}/${last.seq}`).snapshot(),
    });
  }
}

/** A replay file (any of parseReplayCsv's formats) at its own pace times MD_REPLAY_SPEED (or as fast as possible at 0). */
export class ReplayFeed implements TickFeed {
  private readonly ticks: Iterator<QuoteTick>;
  private pending: QuoteTick | null = null;
  private anchor: { wall: number; file: number } | null = null;
  private readonly skipUntil = new Map<string, number>();

  constructor(
    lines: Iterable<string>,
    universe: Universe,
    private readonly speed: number,
    options: ReplayOptions = {},
  ) {
    this.ticks = parseReplayCsv(lines, universe, options)[Symbol.iterator]();
  }

  next(now: number): QuoteTick[] | null {
    const out: QuoteTick[] = [];
    while (out.length < MAX_TICKS_PER_CALL) {
      if (!this.pending) {
        const step = this.ticks.next();
        if (step.done) return out.length > 0 ? out : null;
        this.pending = step.value;
      }
      const tick = this.pending;
      if (tick.seq <= (this.skipUntil.get(tick.symbol) ?? 0)) {
        this.pending = null; // already published before a restart
        continue;
      }
      this.anchor ??= { wall: now, file: tick.tsEvent };
      if (this.speed > 0 && (tick.tsEvent - this.anchor.file) / this.speed > now - this.anchor.wall) break;
      out.push({ ...tick, tsInit: now });
      this.pending = null;
    }
    return out;
  }

  resume(last: QuoteTick): void {
    this.skipUntil.set(last.symbol, last.seq);
  }
}
