import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { replaceOrder } from "../api/commands";
import { instrumentsQuery } from "../api/queries";
import type { OrderState } from "../api/types";
import { checkReplace, type ReplaceForm } from "../forms/order";
import { CommandFormFooter, useCommand } from "./commands";

/** A working order's new total quantity, limit price or stop price; only what changes is sent. */
export function ReplaceOrderForm({ order, onClose }: { order: OrderState; onClose: () => void }) {
  const instrument = useQuery({
    ...instrumentsQuery(),
    select: (all) => all.find((i) => i.symbol === order.symbol),
  }).data;
  const [form, setForm] = useState<ReplaceForm>(() => ({
    quantity: order.quantity === null ? "" : String(order.quantity),
    limitPrice: order.limitPrice === null ? "" : String(order.limitPrice),
    stopPrice: order.stopPrice === null ? "" : String(order.stopPrice),
  }));
  const [tried, setTried] = useState(false);
  const command = useCommand();
  const id = useId();
  const check = checkReplace(form, order, instrument);
  const errors = tried && !check.ok ? check.errors : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!check.ok) return;
    command.mutate(
      {
        request: replaceOrder(order.orderId, check.change),
        label: `Replace ${order.orderId}: ${Object.entries(check.change)
          .map(([name, value]) => `${name} ${String(value)}`)
          .join(", ")}`,
      },
      { onSuccess: () => setTried(false) },
    );
  };
  const fields = [
    ["quantity", "New quantity", instrument?.sizeIncrement, true],
    ["limitPrice", "New limit price", instrument?.priceIncrement, order.limitPrice !== null],
    ["stopPrice", "New stop price", instrument?.priceIncrement, order.stopPrice !== null],
  ] as const;
  return (
    <form className="params-form" aria-label={`Replace order ${order.orderId}`} noValidate onSubmit={submit}>
      <div className="param-fields">
        {fields
          .filter(([, , , shown]) => shown)
          .map(([name, label, step]) => (
            <div className="param" key={name}>
              <label htmlFor={`${id}-${name}`}>{label}</label>
              <input
                id={`${id}-${name}`}
                name={name}
                type="number"
                inputMode="decimal"
                min={0}
                step={step ?? "any"}
                value={form[name]}
                aria-invalid={errors[name] ? true : undefined}
                onChange={(e) => setForm((f) => ({ ...f, [name]: e.target.value }))}
              />
              <small className="muted">now {String(order[name] ?? "unset")}</small>
              {errors[name] && <small className="field-error">{errors[name]}</small>}
            </div>
          ))}
      </div>
      {errors.form && <p className="field-error">{errors.form}</p>}
      <CommandFormFooter label="Send replace" mutation={command} onClose={onClose} />
    </form>
  );
}
