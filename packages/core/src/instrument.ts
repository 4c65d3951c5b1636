import { z } from "zod";
import { ConfigError } from "./errors";

/**
 * Money and notional values are integers counting millionths of the currency unit ("micros").
 * A price has `pricePrecision` decimals and a quantity `sizePrecision` decimals, so price units
 * times size units is an integer in 10^-(p+s); with p+s <= MONEY_DECIMALS it converts to micros
 * by an exact integer multiplication. That is what keeps PnL free of float drift.
 */
export const MONEY_DECIMALS = 6;
export const MONEY_SCALE = 10 ** MONEY_DECIMALS;

export const AssetClassSchema = z.enum(["equity", "crypto", "fx"]);
export type AssetClass = z.infer<typeof AssetClassSchema>;

export const InstrumentSpecSchema = z
  .object({
    symbol: z.string().regex(/^[A-Z][A-Z0-9]*(-[A-Z0-9]+)?$/, "symbols look like AAPL or BTC-USD"),
    assetClass: AssetClassSchema,
    currency: z.string().length(3),
    pricePrecision: z.number().int().min(0).max(MONEY_DECIMALS),
    priceIncrement: z.number().positive(),
    sizePrecision: z.number().int().min(0).max(MONEY_DECIMALS),
    sizeIncrement: z.number().positive(),
    startPrice: z.number().positive(),
    /** Annualised drift of log price (mu in GBM). */
    drift: z.number(),
    /** Annualised volatility of log price (sigma in GBM). */
    volatility: z.number().nonnegative(),
    /** Quoted bid/ask spread in basis points of mid; at least one price increment. */
    spreadBps: z.number().nonnegative(),
  })
  .refine((s) => s.pricePrecision + s.sizePrecision <= MONEY_DECIMALS, {
    message: `pricePrecision + sizePrecision must be at most ${MONEY_DECIMALS} so notionals are exact in micros`,
  });
export type InstrumentSpec = z.infer<typeof InstrumentSpecSchema>;

/** An instrument with its increments also held as integers, ready for exact arithmetic. */
export interface Instrument extends InstrumentSpec {
  /** 10^pricePrecision: price * priceScale is an integer count of price units. */
  readonly priceScale: number;
  readonly sizeScale: number;
  readonly priceIncrementUnits: number;
  readonly sizeIncrementUnits: number;
  /** Multiplier from price units * size units to micros. */
  readonly notionalToMicros: number;
}

function incrementUnits(increment: number, scale: number, what: string, symbol: string): number {
  const units = Math.round(increment * scale);
  if (units < 1 || Math.abs(units - increment * scale) > 1e-6) {
    throw new ConfigError(`${symbol}: ${what} ${increment} is not a multiple of 1/${scale}`);
  }
  return units;
}

/** Validates a spec and precomputes its integer scales. */
export function defineInstrument(spec: InstrumentSpec): Instrument {
  const parsed = InstrumentSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new ConfigError(`instrument ${spec.symbol}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  }
  const priceScale = 10 ** spec.pricePrecision;
  const sizeScale = 10 ** spec.sizePrecision;
  return Object.freeze({
    ...parsed.data,
    priceScale,
    sizeScale,
    priceIncrementUnits: incrementUnits(spec.priceIncrement, priceScale, "priceIncrement", spec.symbol),
    sizeIncrementUnits: incrementUnits(spec.sizeIncrement, sizeScale, "sizeIncrement", spec.symbol),
    notionalToMicros: 10 ** (MONEY_DECIMALS - spec.pricePrecision - spec.sizePrecision),
  });
}

/** Seven instruments across equities, crypto and FX, all quoted in USD. */
export const DEFAULT_UNIVERSE: readonly Instrument[] = [
  {
    symbol: "AAPL",
    assetClass: "equity",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 0,
    sizeIncrement: 1,
    startPrice: 190,
    drift: 0.08,
    volatility: 0.25,
    spreadBps: 1,
  },
  {
    symbol: "MSFT",
    assetClass: "equity",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 0,
    sizeIncrement: 1,
    startPrice: 420,
    drift: 0.07,
    volatility: 0.22,
    spreadBps: 1,
  },
  {
    symbol: "TSLA",
    assetClass: "equity",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 0,
    sizeIncrement: 1,
    startPrice: 250,
    drift: 0.05,
    volatility: 0.55,
    spreadBps: 2,
  },
  {
    symbol: "BTC-USD",
    assetClass: "crypto",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 4,
    sizeIncrement: 0.0001,
    startPrice: 65000,
    drift: 0.1,
    volatility: 0.6,
    spreadBps: 2,
  },
  {
    symbol: "ETH-USD",
    assetClass: "crypto",
    currency: "USD",
    pricePrecision: 2,
    priceIncrement: 0.01,
    sizePrecision: 4,
    sizeIncrement: 0.0001,
    startPrice: 3400,
    drift: 0.1,
    volatility: 0.7,
    spreadBps: 3,
  },
  {
    symbol: "EUR-USD",
    assetClass: "fx",
    currency: "USD",
    pricePrecision: 5,
    priceIncrement: 0.00001,
    sizePrecision: 0,
    sizeIncrement: 1000,
    startPrice: 1.085,
    drift: 0,
    volatility: 0.07,
    spreadBps: 0.5,
  },
  {
    symbol: "GBP-USD",
    assetClass: "fx",
    currency: "USD",
    pricePrecision: 5,
    priceIncrement: 0.00001,
    sizePrecision: 0,
    sizeIncrement: 1000,
    startPrice: 1.27,
    drift: 0,
    volatility: 0.08,
    spreadBps: 0.8,
  },
].map((spec) => defineInstrument(spec as InstrumentSpec));

/** Looks symbols up in a universe; unknown symbols fail with the list of valid ones. */
export class Universe {
  private readonly bySymbol: ReadonlyMap<string, Instrument>;

  constructor(readonly instruments: readonly Instrument[] = DEFAULT_UNIVERSE) {
    this.bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  }

  get symbols(): string[] {
    return this.instruments.map((i) => i.symbol);
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  get(symbol: string): Instrument {
    const instrument = this.bySymbol.get(symbol);
    if (!instrument) {
      throw new ConfigError(`unknown symbol "${symbol}"; valid symbols: ${this.symbols.join(", ")}`);
    }
    return instrument;
  }

  /** The instruments for these symbols, in the order given. */
  select(symbols: readonly string[]): Instrument[] {
    return symbols.map((s) => this.get(s));
  }
}

/** Integer price units of a decimal price (exact for prices already on the increment grid). */
export function toPriceUnits(price: number, instrument: Instrument): number {
  return Math.round(price * instrument.priceScale);
}

/** The nearest double to units / scale: prints as the short decimal (18723 -> 187.23). */
export function fromPriceUnits(units: number, instrument: Instrument): number {
  return units / instrument.priceScale;
}

export function fromSizeUnits(units: number, instrument: Instrument): number {
  return units / instrument.sizeScale;
}
