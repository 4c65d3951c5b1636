/**
 * Number and time formatting for the dashboard. One locale everywhere, so decimal separators do
 * not change between panels; prices keep their instrument's precision (EUR-USD has 5 decimals).
 */
const LOCALE = "en-US";

const decimalFormats = new Map<string, Intl.NumberFormat>();

function decimals(min: number, max: number, signed = false): Intl.NumberFormat {
  const key = `${min}:${max}:${signed}`;
  let format = decimalFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, {
      minimumFractionDigits: min,
      maximumFractionDigits: max,
      signDisplay: signed ? "exceptZero" : "auto",
    });
    decimalFormats.set(key, format);
  }
  return format;
}

/** A bid or ask: exactly the instrument's decimals, or 2 to 5 while the instrument is not known yet. */
export function formatPrice(value: number, precision?: number): string {
  return (precision === undefined ? decimals(2, 5) : decimals(precision, precision)).format(value);
}

/** A mid or a change of mid: half a tick needs one decimal more than the price grid (190.005). */
export function formatMid(value: number, precision?: number, signed = false): string {
  return (precision === undefined ? decimals(2, 6, signed) : decimals(precision, precision + 1, signed)).format(value);
}

const percent = new Intl.NumberFormat(LOCALE, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: "exceptZero",
});

/** A percentage already in percent units (the API's changePct): "+0.42%". */
export function formatPercent(value: number): string {
  return `${percent.format(value)}%`;
}

const fraction = new Intl.NumberFormat(LOCALE, {
  style: "percent",
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** A fraction as a percentage (drawdowns): 0.0123 -> "1.23%". */
export function formatFraction(value: number): string {
  return fraction.format(value);
}

// Every instrument of the universe is quoted in USD, so every account is kept in USD.
const money = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "USD" });
const signedMoney = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "USD", signDisplay: "exceptZero" });

export function formatMoney(value: number): string {
  return money.format(value);
}

/** PnL: signed, so a glance tells profit from loss even without colour. */
export function formatPnl(value: number): string {
  return signedMoney.format(value);
}

/** A size: "9,000", "0.015"; signed for positions: "+52", "-0.015". */
export function formatQuantity(value: number, signed = false): string {
  return decimals(0, 6, signed).format(value);
}

const clock = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** Local wall-clock time of an epoch-ms timestamp: "14:03:27". */
export function formatTime(ms: number): string {
  return clock.format(ms);
}

const dateTime = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** Local date and time of an epoch-ms timestamp, for history that can span days: "26 Nov, 14:03:27". */
export function formatDateTime(ms: number): string {
  return dateTime.format(ms);
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A duration in its two largest units, cut (not rounded) so it never reads longer than it was:
 * "850 ms", "4.2 s" (a tenth under 10 s), "42 s", "3m 05s", "1h 02m", "2d 03h".
 */
export function formatDuration(ms: number): string {
  if (ms < SECOND) return `${Math.floor(ms)} ms`;
  if (ms < 10 * SECOND) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m ${pad(Math.floor((ms % MINUTE) / SECOND))}s`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h ${pad(Math.floor((ms % HOUR) / MINUTE))}m`;
  return `${Math.floor(ms / DAY)}d ${pad(Math.floor((ms % DAY) / HOUR))}h`;
}

/** "up" for a positive value, "down" for a negative one: the CSS colour classes. */
export function direction(value: number): "up" | "down" | "flat" {
  return value > 0 ? "up" : value < 0 ? "down" : "flat";
}
