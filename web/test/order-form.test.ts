import { describe, expect, it } from "vitest";
import { checkOrder, checkReplace, parseLocalDateTime, type OrderForm } from "../src/forms/order";
import { instruments, T0 } from "./fixtures";

const AAPL = instruments.find((i) => i.symbol === "AAPL")!;
const EURUSD = instruments.find((i) => i.symbol === "EUR-USD")!;

/** A GTC limit buy of 10 AAPL at 150.25: each case changes what it tests. */
const ticket = (change: Partial<OrderForm> = {}): OrderForm => ({
  symbol: "AAPL",
  side: "buy",
  type: "limit",
  quantity: "10",
  limitPrice: "150.25",
  stopPrice: "",
  timeInForce: "GTC",
  expireAt: "",
  takeProfit: "",
  stopLoss: "",
  reduceOnly: false,
  postOnly: false,
  ...change,
});

const errorsOf = (form: OrderForm, instrument = AAPL) => {
  const check = checkOrder(form, instrument, T0);
  return check.ok ? {} : check.errors;
};

describe("the order ticket's checks (core's OrderRequestSchema and orderSpec)", () => {
  it("builds the request of a valid ticket, with the schema's defaults", () => {
    expect(checkOrder(ticket(), AAPL, T0)).toEqual({
      ok: true,
      order: {
        symbol: "AAPL",
        side: "buy",
        quantity: 10,
        type: "limit",
        timeInForce: "GTC",
        limitPrice: 150.25,
        reduceOnly: false,
        postOnly: false,
      },
    });
  });

  it("leaves out the prices a type does not take, and asks for those it needs", () => {
    const market = checkOrder(ticket({ type: "market", limitPrice: "150", stopPrice: "149" }), AAPL, T0);
    expect(market.ok && market.order).toEqual({
      symbol: "AAPL",
      side: "buy",
      quantity: 10,
      type: "market",
      timeInForce: "GTC",
      reduceOnly: false,
      postOnly: false,
    });
    expect(errorsOf(ticket({ limitPrice: "" }))).toEqual({ limitPrice: "Limit price is required" });
    expect(errorsOf(ticket({ type: "stop-limit", limitPrice: "", stopPrice: "" }))).toEqual({
      limitPrice: "Limit price is required",
      stopPrice: "Stop price is required",
    });
    const stop = checkOrder(ticket({ type: "stop", stopPrice: "149.5" }), AAPL, T0);
    expect(stop.ok && stop.order).toMatchObject({ type: "stop", stopPrice: 149.5 });
    expect(stop.ok && "limitPrice" in stop.order).toBe(false);
  });

  it("refuses a quantity that is missing, not a number or not positive", () => {
    expect(errorsOf(ticket({ quantity: "" }))).toEqual({ quantity: "Quantity is required" });
    expect(errorsOf(ticket({ quantity: "ten" }))).toEqual({ quantity: "Quantity must be a number" });
    expect(errorsOf(ticket({ quantity: "0" }))).toEqual({ quantity: "Quantity must be positive" });
    expect(errorsOf(ticket({ quantity: "-5" }))).toEqual({ quantity: "Quantity must be positive" });
  });

  it("refuses prices and sizes off the instrument's grid, as the engine would", () => {
    expect(errorsOf(ticket({ limitPrice: "150.255" }))).toEqual({
      limitPrice: "limitPrice 150.255 is not a positive multiple of AAPL's price increment 0.01",
    });
    expect(errorsOf(ticket({ quantity: "2.5" }))).toEqual({
      quantity: "quantity 2.5 is not a multiple of AAPL's size increment 1",
    });
    // EUR-USD trades in lots of 1,000 on a 0.00001 grid
    const eur = (change: Partial<OrderForm>) =>
      ticket({ symbol: "EUR-USD", quantity: "2000", limitPrice: "1.08512", ...change });
    expect(checkOrder(eur({}), EURUSD, T0).ok).toBe(true);
    expect(errorsOf(eur({ quantity: "1500" }), EURUSD)).toEqual({
      quantity: "quantity 1500 is not a multiple of EUR-USD's size increment 1000",
    });
    expect(errorsOf(eur({ limitPrice: "1.085125" }), EURUSD)).toEqual({
      limitPrice: "limitPrice 1.085125 is not a positive multiple of EUR-USD's price increment 0.00001",
    });
  });

  it("needs a future expiry for GTD, and sends it as epoch ms of the local time typed", () => {
    expect(errorsOf(ticket({ timeInForce: "GTD" }))).toEqual({ expireAt: "A GTD order needs an expiry" });
    expect(errorsOf(ticket({ timeInForce: "GTD", expireAt: "tomorrow" }))).toEqual({
      expireAt: "Expiry must be a date and time",
    });
    // T0 is 2025-11-26 14:30 UTC; a day before it is past in every time zone
    expect(errorsOf(ticket({ timeInForce: "GTD", expireAt: "2025-11-25T14:30" }))).toEqual({
      expireAt: "Expiry must be in the future",
    });
    const gtd = checkOrder(ticket({ timeInForce: "GTD", expireAt: "2025-11-28T09:15" }), AAPL, T0);
    expect(gtd.ok && gtd.order.expireAt).toBe(new Date(2025, 10, 28, 9, 15).getTime());
    expect(parseLocalDateTime("2025-11-28T10:15")! - parseLocalDateTime("2025-11-28T09:15")!).toBe(3_600_000);
    expect(parseLocalDateTime("2025-11-28T09:15:30")! - parseLocalDateTime("2025-11-28T09:15")!).toBe(30_000);
    // an expiry typed while the ticket was GTC is not sent
    const gtc = checkOrder(ticket({ expireAt: "2025-11-28T09:15" }), AAPL, T0);
    expect(gtc.ok && "expireAt" in gtc.order).toBe(false);
  });

  it("keeps post-only to a resting limit", () => {
    expect(errorsOf(ticket({ postOnly: true, timeInForce: "IOC" }))).toEqual({
      postOnly: "post-only is for a limit order that rests (GTC or GTD)",
    });
    expect(errorsOf(ticket({ postOnly: true, type: "market" }))).toEqual({
      postOnly: "post-only is for a limit order that rests (GTC or GTD)",
    });
    expect(checkOrder(ticket({ postOnly: true }), AAPL, T0).ok).toBe(true);
  });

  it("puts a bracket's exits on either side of the entry, and refuses one on a reduce-only order", () => {
    // a buy at 150.25 takes profit above and stops out below
    const bracket = checkOrder(ticket({ takeProfit: "155", stopLoss: "148.5" }), AAPL, T0);
    expect(bracket.ok && bracket.order.bracket).toEqual({ takeProfit: 155, stopLoss: 148.5 });
    expect(errorsOf(ticket({ takeProfit: "149" }))).toEqual({
      takeProfit: "the take-profit must be beyond the entry price, in the trade's favour",
    });
    expect(errorsOf(ticket({ stopLoss: "151" }))).toEqual({
      stopLoss: "the stop-loss must be beyond the entry price, against the trade",
    });
    // a sell: the other way round
    expect(checkOrder(ticket({ side: "sell", takeProfit: "149", stopLoss: "151" }), AAPL, T0).ok).toBe(true);
    expect(errorsOf(ticket({ takeProfit: "155", reduceOnly: true }))).toEqual({
      reduceOnly: "a reduce-only order cannot open a bracket",
    });
    expect(errorsOf(ticket({ stopLoss: "148.555" }))).toEqual({
      stopLoss: "stopLoss 148.555 is not a positive multiple of AAPL's price increment 0.01",
    });
  });

  it("refuses a symbol it knows nothing of", () => {
    expect(checkOrder(ticket({ symbol: "XYZ" }), undefined, T0)).toEqual({
      ok: false,
      errors: { symbol: "XYZ is not a known instrument" },
    });
    expect(errorsOf(ticket({ symbol: "" }))).toEqual({ symbol: "Choose a symbol" });
  });
});

describe("the replace form's checks", () => {
  const working = { quantity: 10, limitPrice: 150.25, stopPrice: null };
  const form = (change: Partial<{ quantity: string; limitPrice: string; stopPrice: string }> = {}) => ({
    quantity: "10",
    limitPrice: "150.25",
    stopPrice: "",
    ...change,
  });

  it("sends only what differs from the order", () => {
    expect(checkReplace(form({ limitPrice: "151.5" }), working, AAPL)).toEqual({
      ok: true,
      change: { limitPrice: 151.5 },
    });
    expect(checkReplace(form({ quantity: "25", limitPrice: "149" }), working, AAPL)).toEqual({
      ok: true,
      change: { quantity: 25, limitPrice: 149 },
    });
    expect(checkReplace(form(), working, AAPL)).toEqual({
      ok: false,
      errors: { form: "Change the quantity or a price first" },
    });
  });

  it("refuses what the engine would: not positive, off the grid, a price the order does not have", () => {
    expect(checkReplace(form({ quantity: "0" }), working, AAPL)).toEqual({
      ok: false,
      errors: { quantity: "Quantity must be positive" },
    });
    expect(checkReplace(form({ limitPrice: "151.555" }), working, AAPL)).toEqual({
      ok: false,
      errors: { limitPrice: "Limit price must be a multiple of AAPL's price increment 0.01" },
    });
    expect(checkReplace(form({ quantity: "1500" }), { ...working, limitPrice: 1.085 }, EURUSD)).toEqual({
      ok: false,
      errors: { quantity: "Quantity must be a multiple of EUR-USD's size increment 1000" },
    });
    expect(checkReplace(form({ stopPrice: "149" }), working, AAPL)).toEqual({
      ok: false,
      errors: { stopPrice: "This order has no stop price" },
    });
  });
});
