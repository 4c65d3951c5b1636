import { z } from "zod";
import { fromPriceUnits, fromSizeUnits, type Instrument } from "./instrument";
import { Prng, type PrngState } from "./prng";
import type { QuoteTick } from "./tick";
import { ConfigError } from "./errors";

/** Milliseconds in a year of 365.25 days: the unit of annualised drift and volatility. */
export const MS_PER_YEAR = 365.25 * 24 * 3600 * 1000;

export const JumpSettingsSchema = z.object({
  /** Expected jumps per year (Poisson). */
  intensityPerYear: z.number().nonnegative(),
  /** Mean and standard deviation of the jump in log price. */
  meanLog: z.number(),
  stdLog: z.number().nonnegative(),
});
export type JumpSettings = z.infer<typeof JumpSettingsSchema>;

export interface SimulatorConfig {
  instruments: readonly Instrument[];
  seed: string | number;
  /** Simulated clock start (ms since epoch) for `next()`. */
  startTime?: number;
  /** Simulated ms between two ticks of the same symbol for `next()`; 50 ms is 20 ticks/s. */
  tickIntervalMs?: number;
  /** Optional Merton jumps on top of the diffusion. */
  jumps?: JumpSettings;
}

/** Everything needed to continue one symbol's path exactly where it stopped. */
export interface SymbolPathState {
  symbol: string;
  seq: number;
  logPrice: number;
  lastTs: number;
  prng: { words: PrngState; spareNormal: number | null };
}

interface SymbolPath extends Omit<SymbolPathState, "prng"> {
  instrument: Instrument;
  prng: Prng;
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5, 14, 30);

/**
 * Geometric Brownian motion per symbol, one seeded generator per symbol (so adding a symbol does
 * not change the others' paths). Time is always given: `next()` walks a simulated clock, and
 * `quoteAt()` takes the caller's clock for live use.
 */
export class MarketSimulator {
  private readonly paths: SymbolPath[];
  private readonly tickIntervalMs: number;
  private readonly jumps: JumpSettings | undefined;
  private cursor = 0;
  private clock: number;

  constructor(config: SimulatorConfig) {
    this.tickIntervalMs = config.tickIntervalMs ?? 50;
    this.jumps = config.jumps;
    const startTime = config.startTime ?? DEFAULT_START_TIME;
    this.clock = startTime;
    this.paths = config.instruments.map((instrument) => ({
      instrument,
      symbol: instrument.symbol,
      seq: 0,
      logPrice: Math.log(instrument.startPrice),
      lastTs: startTime,
      prng: new Prng(`${config.seed}/${instrument.symbol}`),
    }));
  }

  get symbols(): string[] {
    return this.paths.map((p) => p.symbol);
  }

  /** The next tick on the simulated clock: symbols in turn, the clock advancing once per round. */
  next(): QuoteTick {
    const path = this.paths[this.cursor]!;
    if (this.cursor === 0) this.clock += this.tickIntervalMs;
    this.cursor = (this.cursor + 1) % this.paths.length;
    return this.step(path, this.clock, this.clock);
  }

  /**
   * A tick for `symbol` at the caller's time; the diffusion spans the time since its last tick
   * (the first tick is at the start price, whenever the caller's clock starts).
   */
  quoteAt(symbol: string, tsEvent: number, tsInit: number = tsEvent): QuoteTick {
    const path = this.path(symbol);
    if (path.seq === 0) path.lastTs = tsEvent;
    return this.step(path, tsEvent, tsInit);
  }

  /** Per-symbol state, to persist and `resume` later. */
  snapshot(): SymbolPathState[] {
    return this.paths.map(({ symbol, seq, logPrice, lastTs, prng }) => ({
      symbol,
      seq,
      logPrice,
      lastTs,
      prng: prng.snapshot(),
    }));
  }

  /**
   * Continues a symbol from saved state, so seq and price carry on without a gap; the simulated
   * clock moves up to the symbol's last tick, so `next()` never goes back in time.
   */
  resume(state: SymbolPathState): void {
    const path = this.path(state.symbol);
    path.seq = state.seq;
    path.logPrice = state.logPrice;
    path.lastTs = state.lastTs;
    path.prng = Prng.restore(state.prng);
    this.clock = Math.max(this.clock, state.lastTs);
  }

  private path(symbol: string): SymbolPath {
    const path = this.paths.find((p) => p.symbol === symbol);
    if (!path) throw new ConfigError(`symbol ${symbol} is not simulated; simulated: ${this.symbols.join(", ")}`);
    return path;
  }

  private step(path: SymbolPath, tsEvent: number, tsInit: number): QuoteTick {
    const { instrument, prng } = path;
    const dtYears = Math.max(0, tsEvent - path.lastTs) / MS_PER_YEAR;
    const sigma = instrument.volatility;
    path.logPrice +=
      (instrument.drift - 0.5 * sigma * sigma) * dtYears + sigma * Math.sqrt(dtYears) * prng.nextNormal();
    if (this.jumps && this.jumps.intensityPerYear > 0 && prng.nextFloat() < this.jumps.intensityPerYear * dtYears) {
      path.logPrice += this.jumps.meanLog + this.jumps.stdLog * prng.nextNormal();
    }
    path.lastTs = tsEvent;
    path.seq += 1;

    const inc = instrument.priceIncrementUnits;
    const midUnits = Math.exp(path.logPrice) * instrument.priceScale;
    const halfSpread = Math.max(inc / 2, (midUnits * instrument.spreadBps) / 20_000);
    // bid at least one increment: a simulated price never reaches zero
    const bidUnits = Math.max(inc, Math.floor((midUnits - halfSpread) / inc) * inc);
    const askUnits = Math.max(bidUnits + inc, Math.ceil((midUnits + halfSpread) / inc) * inc);
    // displayed size in steps worth about DISPLAY_STEP_NOTIONAL at the start price, so every
    // instrument shows a touch of a few thousand to about a hundred thousand in currency: a
    // BTC touch of 0.0001 to 0.01 would split a trade into dozens of fills no venue gives
    const lot = instrument.sizeIncrementUnits * displayStepLots(instrument);
    return {
      symbol: path.symbol,
      bid: fromPriceUnits(bidUnits, instrument),
      ask: fromPriceUnits(askUnits, instrument),
      bidSize: fromSizeUnits(prng.nextInt(1, 100) * lot, instrument),
      askSize: fromSizeUnits(prng.nextInt(1, 100) * lot, instrument),
      seq: path.seq,
      tsEvent,
      tsInit,
    };
  }
}

/** What one step of simulated displayed size is worth at the instrument's start price. */
export const DISPLAY_STEP_NOTIONAL = 1_000;

function displayStepLots(instrument: Instrument): number {
  return Math.max(1, Math.round(DISPLAY_STEP_NOTIONAL / (instrument.startPrice * instrument.sizeIncrement)));
}
