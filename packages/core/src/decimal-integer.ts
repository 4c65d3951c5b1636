/**
 * What an integer in text from outside (a query parameter) is: optional minus, then 1 to 16
 * decimal digits, nothing else. "0x10", "1e2", " 5", "+5", "1.0" and "" are refused rather than
 * coerced, as `Number()` would. One rule for every reader of untrusted input: the public API's
 * schemas (which the web app imports, so the rule lives here, in the package they may use) and
 * the workers' internal APIs.
 */
export const DECIMAL_INTEGER = /^-?\d{1,16}$/;

/** The integer `text` spells under DECIMAL_INTEGER, or undefined when it spells none (or one past 2^53, which a number cannot hold exactly). */
export function parseDecimalInteger(text: string): number | undefined {
  if (!DECIMAL_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
