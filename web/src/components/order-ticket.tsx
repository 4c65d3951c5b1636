import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { submitOrder } from "../api/commands";
import { instrumentsQuery, quotesQuery, strategiesQuery } from "../api/queries";
import type { OrderRequest } from "../api/types";
import { formatPrice, formatQuantity } from "../format";
import { checkOrder, needsLimit, needsStop, type OrderErrors, type OrderField, type OrderForm } from "../forms/order";
import { CommandAnswer, useCommand } from "./commands";

const EMPTY: OrderForm = {
  symbol: "",
  side: "buy",
  type: "limit",
  quantity: "",
  limitPrice: "",
  stopPrice: "",
  timeInForce: "GTC",
  expireAt: "",
  takeProfit: "",
  stopLoss: "",
  reduceOnly: false,
  postOnly: false,
};

const TYPES = ["market", "limit", "stop", "stop-limit"] as const;
const TIME_IN_FORCE = [
  ["GTC", "GTC: until canceled"],
  ["IOC", "IOC: fill now what can, cancel the rest"],
  ["FOK", "FOK: fill all now or nothing"],
  ["GTD", "GTD: until a date"],
] as const;

/**
 * The order ticket: a manual order, booked in the chosen strategy's account. Checked here with
 * the engine's own rules (core's OrderRequestSchema and orderSpec) before it is sent; the answer
 * shows below it: the 202, then the engine's outcome, or the problem that refused it.
 */
export function OrderTicket() {
  const strategies = useQuery(strategiesQuery()).data ?? [];
  const instruments = useQuery(instrumentsQuery()).data ?? [];
  const [strategyId, setStrategyId] = useState("");
  const [form, setForm] = useState<OrderForm>(EMPTY);
  const [tried, setTried] = useState(false);
  const command = useCommand();
  const id = useId();

  const strategy = strategies.find((s) => s.id === strategyId) ?? strategies[0];
  const symbols = strategy?.symbols ?? [];
  const symbol = symbols.includes(form.symbol) ? form.symbol : (symbols[0] ?? "");
  const current: OrderForm = { ...form, symbol };
  const instrument = instruments.find((i) => i.symbol === symbol);
  const check = checkOrder(current, instrument, Date.now());
  const errors: OrderErrors = tried && !check.ok ? check.errors : {};
  const set = <K extends keyof OrderForm>(field: K, value: OrderForm[K]) =>
    setForm((f) => ({ ...f, symbol, [field]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!strategy || !check.ok) return;
    command.mutate(
      { request: submitOrder(strategy.id, check.order), label: describeOrder(strategy.id, check.order) },
      { onSuccess: () => setTried(false) },
    );
  };

  const field = (
    name: Exclude<OrderField, "form"> | "strategy",
    label: string,
    input: (props: FieldProps) => ReactNode,
  ) => (
    <Field
      id={`${id}-${name}`}
      name={name}
      label={label}
      error={name === "strategy" ? undefined : errors[name]}
      input={input}
    />
  );
  const decimal = (name: "quantity" | "limitPrice" | "stopPrice" | "takeProfit" | "stopLoss", step?: number) =>
    function Input(props: FieldProps) {
      return (
        <input
          {...props}
          type="number"
          inputMode="decimal"
          min={0}
          step={step ?? "any"}
          value={current[name]}
          onChange={(e) => set(name, e.target.value)}
        />
      );
    };

  return (
    <section className="panel ticket" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Order ticket</h2>
      {strategies.length === 0 ? (
        <p className="state">An order is booked in a strategy's account: none is running.</p>
      ) : (
        <form aria-label="Order ticket" noValidate onSubmit={submit} data-testid="order-ticket">
          <div className="ticket-grid">
            {field("strategy", "Strategy", (props) => (
              <select {...props} value={strategy?.id ?? ""} onChange={(e) => setStrategyId(e.target.value)}>
                {strategies.map((s) => (
                  <option key={s.id}>{s.id}</option>
                ))}
              </select>
            ))}
            {field("symbol", "Symbol", (props) => (
              <select {...props} value={symbol} onChange={(e) => set("symbol", e.target.value)}>
                {symbols.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            ))}
            {field("side", "Side", (props) => (
              <select
                {...props}
                value={current.side}
                onChange={(e) => set("side", e.target.value as OrderForm["side"])}
              >
                <option value="buy">buy</option>
                <option value="sell">sell</option>
              </select>
            ))}
            {field("type", "Type", (props) => (
              <select
                {...props}
                value={current.type}
                onChange={(e) => set("type", e.target.value as OrderForm["type"])}
              >
                {TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            ))}
            {field("quantity", "Quantity", decimal("quantity", instrument?.sizeIncrement))}
            {needsLimit(current.type) &&
              field("limitPrice", "Limit price", decimal("limitPrice", instrument?.priceIncrement))}
            {needsStop(current.type) &&
              field("stopPrice", "Stop price", decimal("stopPrice", instrument?.priceIncrement))}
            {field("timeInForce", "Time in force", (props) => (
              <select
                {...props}
                value={current.timeInForce}
                onChange={(e) => set("timeInForce", e.target.value as OrderForm["timeInForce"])}
              >
                {TIME_IN_FORCE.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            ))}
            {current.timeInForce === "GTD" &&
              field("expireAt", "Expiry", (props) => (
                <input
                  {...props}
                  type="datetime-local"
                  value={current.expireAt}
                  onChange={(e) => set("expireAt", e.target.value)}
                />
              ))}
            {field("takeProfit", "Take profit", decimal("takeProfit", instrument?.priceIncrement))}
            {field("stopLoss", "Stop loss", decimal("stopLoss", instrument?.priceIncrement))}
          </div>
          <div className="ticket-flags">
            <label>
              <input
                type="checkbox"
                name="reduceOnly"
                checked={current.reduceOnly}
                onChange={(e) => set("reduceOnly", e.target.checked)}
              />{" "}
              Reduce only
            </label>
            <label>
              <input
                type="checkbox"
                name="postOnly"
                checked={current.postOnly}
                onChange={(e) => set("postOnly", e.target.checked)}
              />{" "}
              Post only
            </label>
            {(errors.reduceOnly || errors.postOnly) && (
              <small className="field-error">{errors.reduceOnly ?? errors.postOnly}</small>
            )}
          </div>
          <TouchLine symbol={symbol} precision={instrument?.pricePrecision} />
          {errors.form && (
            <p className="field-error" role="alert">
              {errors.form}
            </p>
          )}
          <div className="buttons">
            <button type="submit" className={`action primary ${current.side}`} disabled={command.isPending}>
              Place order
            </button>
            {check.ok && strategy && <span className="muted">{describeOrder(strategy.id, check.order)}</span>}
          </div>
          <CommandAnswer mutation={command} />
        </form>
      )}
    </section>
  );
}

/** The bid and ask the order will meet, to price a limit against. */
function TouchLine({ symbol, precision }: { symbol: string; precision: number | undefined }) {
  const quote = useQuery({ ...quotesQuery(), select: (all) => all.find((q) => q.symbol === symbol) }).data;
  if (!quote) return null;
  return (
    <p className="muted touch" data-testid="ticket-touch">
      {symbol} bid <span className="num">{formatPrice(quote.bid, precision)}</span> · ask{" "}
      <span className="num">{formatPrice(quote.ask, precision)}</span>
    </p>
  );
}

interface FieldProps {
  id: string;
  name: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
}

function Field({
  id,
  name,
  label,
  error,
  input,
}: {
  id: string;
  name: string;
  label: string;
  error: string | undefined;
  input: (props: FieldProps) => ReactNode;
}) {
  return (
    <div className="param">
      <label htmlFor={id}>{label}</label>
      {input({
        id,
        name,
        ...(error ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {}),
      })}
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

/** "Buy 10 AAPL limit 150 GTC (sma-crossover)", for the button's hint and the commands feed. */
export function describeOrder(strategyId: string, order: OrderRequest): string {
  const prices = [
    ...(order.stopPrice === undefined ? [] : [`stop ${order.stopPrice}`]),
    ...(order.limitPrice === undefined ? [] : [`limit ${order.limitPrice}`]),
  ];
  const bracket = order.bracket
    ? [
        ...(order.bracket.takeProfit === undefined ? [] : [`TP ${order.bracket.takeProfit}`]),
        ...(order.bracket.stopLoss === undefined ? [] : [`SL ${order.bracket.stopLoss}`]),
      ]
    : [];
  const side = order.side === "buy" ? "Buy" : "Sell";
  return [
    side,
    formatQuantity(order.quantity),
    order.symbol,
    order.type === "market" ? "market" : prices.join(" "),
    order.timeInForce ?? "GTC",
    ...bracket,
    ...(order.reduceOnly ? ["reduce-only"] : []),
    ...(order.postOnly ? ["post-only"] : []),
    `(${strategyId})`,
  ].join(" ");
}
