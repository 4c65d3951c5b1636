import { MONEY_SCALE, type Instrument } from "./instrument";
import { TickflowError } from "./errors";

/** Integer count of currency micros (1e-6). Arithmetic on Micros stays exact. */
export type Micros = number;

function assertSafe(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new TickflowError(`${what} overflowed exact integer range: ${value}`);
  return value;
}

/**
 * round(a * b / d) with ties to even, exact for any safe integers: it falls back to BigInt when
 * the product leaves the range where doubles are exact.
 */
export function mulDivRound(a: number, b: number, d: number): number {
  if (d <= 0 || !Number.isInteger(d)) throw new TickflowError(`divisor must be a positive integer, got ${d}`);
  const product = a * b;
  if (Number.isSafeInteger(product)) return divRoundHalfEven(product, d);
  const p = BigInt(a) * BigInt(b);
  const bd = BigInt(d);
  const sign = p < 0n ? -1n : 1n;
  const abs = p * sign;
  let q = abs / bd;
  const r2 = (abs % bd) * 2n;
  if (r2 > bd || (r2 === bd && q % 2n === 1n)) q += 1n;
  return assertSafe(Number(q * sign), "mulDivRound");
}

/** round(n / d) with ties to even; n and d safe integers, d > 0. */
export function divRoundHalfEven(n: number, d: number): number {
  const sign = n < 0 ? -1 : 1;
  const abs = n * sign;
  let q = Math.floor(abs / d);
  // floor of a float division can be off by one near large values; correct it with integer checks
  while (q * d > abs) q -= 1;
  while ((q + 1) * d <= abs) q += 1;
  const r2 = (abs - q * d) * 2;
  if (r2 > d || (r2 === d && q % 2 === 1)) q += 1;
  return q * sign;
}

/** Exact notional of |sizeUnits| at priceUnits, in micros. */
export function notionalMicros(priceUnits: number, sizeUnits: number, instrument: Instrument): Micros {
  return assertSafe(priceUnits * sizeUnits * instrument.notionalToMicros, "notional");
}

/**
 * Value of signed sizeUnits at a mid price given as twice its price units (bid + ask, so a
 * half-unit mid stays an integer), rounded half-even to micros.
 */
export function midValueMicros(mid2Units: number, sizeUnits: number, instrument: Instrument): Micros {
  return mulDivRound(mid2Units * instrument.notionalToMicros, sizeUnits, 2);
}

/** Fee in micros for a notional, with the rate given in basis points (to 0.01 bp). */
export function feeMicros(notional: Micros, feeBps: number): Micros {
  const centiBps = Math.round(feeBps * 100);
  return mulDivRound(Math.abs(notional), centiBps, 1_000_000);
}

export function toMicros(amount: number): Micros {
  return assertSafe(Math.round(amount * MONEY_SCALE), "money");
}

/** Micros as a decimal number of currency units (for JSON and display only). */
export function fromMicros(micros: Micros): number {
  return micros / MONEY_SCALE;
}

/** floor(n / d) for safe integers n >= 0, d > 0, exact even where float division rounds up. */
export function floorDiv(n: number, d: number): number {
  let q = Math.floor(n / d);
  while (q * d > n) q -= 1;
  while ((q + 1) * d <= n) q += 1;
  return q;
}
