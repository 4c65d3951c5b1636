import { useQuery } from "@tanstack/react-query";
import { useId, useMemo, useState, type FormEvent } from "react";
import {
  addStrategy,
  changeParams,
  flattenStrategy,
  pauseStrategy,
  removeStrategy,
  resetStrategy,
  resumeStrategy,
} from "../api/commands";
import { instrumentsQuery, strategyKindsQuery } from "../api/queries";
import type { Strategy } from "../api/types";
import { checkParams, defaultsOf, initialValues, paramFields, type FormValues } from "../forms/params";
import { CommandAnswer, CommandFormFooter, useCommand } from "./commands";
import { ParamsFields } from "./params-fields";

type Confirming = "remove" | "flatten" | null;

/**
 * A strategy's controls, for a trader: pause or resume, reset a halt, flatten (all its symbols
 * or one), edit its parameters, remove it. Remove and flatten ask to be confirmed.
 */
export function StrategyActions({
  strategy,
  editing,
  onEdit,
}: {
  strategy: Strategy;
  editing: boolean;
  onEdit: () => void;
}) {
  const command = useCommand();
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [flattenSymbol, setFlattenSymbol] = useState("");
  const id = strategy.id;
  const paused = strategy.paused;
  const selectId = useId();
  const busy = command.isPending;
  const send = (request: Parameters<typeof command.mutate>[0]) => {
    setConfirming(null);
    command.mutate(request);
  };
  return (
    <div className="actions" data-testid={`actions-${id}`}>
      {confirming === null && (
        <div className="buttons">
          {paused ? (
            <button
              type="button"
              className="action"
              aria-label={`Resume ${id}`}
              disabled={busy}
              onClick={() => send({ request: resumeStrategy(id), label: `Resume ${id}` })}
            >
              Resume
            </button>
          ) : (
            <button
              type="button"
              className="action"
              aria-label={`Pause ${id}`}
              disabled={busy}
              onClick={() => send({ request: pauseStrategy(id), label: `Pause ${id}` })}
            >
              Pause
            </button>
          )}
          {strategy.status === "halted" && (
            <button
              type="button"
              className="action"
              aria-label={`Reset halt of ${id}`}
              title="Lift the risk halt: the strategy trades again"
              disabled={busy}
              onClick={() => send({ request: resetStrategy(id), label: `Reset halt of ${id}` })}
            >
              Reset halt
            </button>
          )}
          <button
            type="button"
            className="action"
            aria-label={`Flatten ${id}`}
            disabled={busy}
            onClick={() => setConfirming("flatten")}
          >
            Flatten
          </button>
          <button
            type="button"
            className="action"
            aria-label={`Edit parameters of ${id}`}
            aria-expanded={editing}
            onClick={onEdit}
          >
            Edit
          </button>
          <button
            type="button"
            className="action danger"
            aria-label={`Remove ${id}`}
            disabled={busy}
            onClick={() => setConfirming("remove")}
          >
            Remove
          </button>
        </div>
      )}
      {confirming === "flatten" && (
        <div className="confirm" role="group" aria-label={`Confirm flatten of ${id}`}>
          <label htmlFor={selectId}>Close at market</label>{" "}
          <select id={selectId} value={flattenSymbol} onChange={(e) => setFlattenSymbol(e.target.value)}>
            <option value="">every symbol</option>
            {strategy.symbols.map((symbol) => (
              <option key={symbol}>{symbol}</option>
            ))}
          </select>{" "}
          <button
            type="button"
            className="action danger"
            onClick={() =>
              send({
                request: flattenStrategy(id, flattenSymbol || undefined),
                label: `Flatten ${id}${flattenSymbol ? ` ${flattenSymbol}` : ""}`,
              })
            }
          >
            Confirm flatten
          </button>{" "}
          <button type="button" className="action" onClick={() => setConfirming(null)}>
            Cancel
          </button>
        </div>
      )}
      {confirming === "remove" && (
        <div className="confirm" role="group" aria-label={`Confirm removal of ${id}`}>
          <span>Remove {id}? Refused while a position is open.</span>{" "}
          <button
            type="button"
            className="action danger"
            onClick={() => send({ request: removeStrategy(id), label: `Remove ${id}` })}
          >
            Confirm remove
          </button>{" "}
          <button type="button" className="action" onClick={() => setConfirming(null)}>
            Keep
          </button>
        </div>
      )}
      <CommandAnswer mutation={command} compact />
    </div>
  );
}

/** The parameters form of one instance: its kind's fields, each with its current value; only what changes is sent. */
export function ParamsEditor({ strategy, onClose }: { strategy: Strategy; onClose: () => void }) {
  const kinds = useQuery(strategyKindsQuery());
  const kind = kinds.data?.find((k) => k.kind === strategy.kind);
  if (kinds.isPending) return <p className="state">Loading the parameters of {strategy.kind}…</p>;
  if (kinds.isError) return <p className="state state-error">Cannot load the strategy kinds: {kinds.error.message}</p>;
  if (!kind) return <p className="state state-error">Unknown strategy kind {strategy.kind}.</p>;
  return <ParamsForm strategy={strategy} fields={paramFields(kind.params)} onClose={onClose} />;
}

function ParamsForm({
  strategy,
  fields,
  onClose,
}: {
  strategy: Strategy;
  fields: ReturnType<typeof paramFields>;
  onClose: () => void;
}) {
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, strategy.params));
  const [tried, setTried] = useState(false);
  const command = useCommand();
  // a parameter the instance does not list runs at its default: unchanged unless the user changes it
  const baseline = { ...defaultsOf(fields), ...strategy.params };
  const check = checkParams(fields, values, baseline);
  const nothing = Object.keys(check.params).length === 0 && Object.keys(check.errors).length === 0;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (Object.keys(check.errors).length > 0 || nothing) return;
    command.mutate(
      {
        request: changeParams(strategy.id, check.params),
        label: `Set ${Object.entries(check.params)
          .map(([name, value]) => `${name}=${String(value)}`)
          .join(" ")} on ${strategy.id}`,
      },
      { onSuccess: () => setTried(false) },
    );
  };
  return (
    <form className="params-form" aria-label={`Parameters of ${strategy.id}`} noValidate onSubmit={submit}>
      <ParamsFields
        fields={fields}
        values={values}
        current={strategy.params}
        errors={tried ? check.errors : {}}
        onChange={(name, value) => setValues((all) => ({ ...all, [name]: value }))}
      />
      <p className="muted note">
        Only what you change is sent; an empty optional parameter keeps its current value. A change restarts the
        indicators and cancels resting entries.
      </p>
      <CommandFormFooter label="Apply changes" mutation={command} onClose={onClose}>
        {tried && nothing && <span className="muted">Nothing changed.</span>}
      </CommandFormFooter>
    </form>
  );
}

/** A strategy id: the engine's rule (lower-case letters, digits and dashes) and the API's length cap. */
const STRATEGY_ID = /^[a-z0-9][a-z0-9-]*$/;
const STRATEGY_ID_MAX = 64;

/** Adds a strategy instance: its id, kind, symbols and the parameters that differ from the kind's defaults. */
export function AddStrategyForm({ existing, onClose }: { existing: readonly string[]; onClose: () => void }) {
  const kinds = useQuery(strategyKindsQuery());
  const symbols = useQuery({ ...instrumentsQuery(), select: (all) => all.map((i) => i.symbol) }).data ?? [];
  const [strategyId, setStrategyId] = useState("");
  const [kindName, setKindName] = useState("");
  const [chosen, setChosen] = useState<readonly string[]>([]);
  const [values, setValues] = useState<FormValues>({});
  const [tried, setTried] = useState(false);
  const command = useCommand();
  const formId = useId();
  const kind = kinds.data?.find((k) => k.kind === kindName) ?? kinds.data?.[0];
  const fields = useMemo(() => (kind ? paramFields(kind.params) : []), [kind]);
  // a field not typed into yet shows its default
  const shown = { ...initialValues(fields), ...values };
  const defaults = defaultsOf(fields);
  const check = checkParams(fields, shown, defaults);
  const errors: Record<string, string> = {};
  if (!STRATEGY_ID.test(strategyId))
    errors.id = "lower-case letters, digits and dashes, starting with a letter or digit";
  else if (strategyId.length > STRATEGY_ID_MAX) errors.id = `at most ${STRATEGY_ID_MAX} characters`;
  else if (existing.includes(strategyId)) errors.id = `${strategyId} already runs`;
  if (chosen.length === 0) errors.symbols = "choose at least one symbol";
  const valid = kind !== undefined && Object.keys(errors).length === 0 && Object.keys(check.errors).length === 0;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (!valid || !kind) return;
    command.mutate({
      request: addStrategy({ id: strategyId, kind: kind.kind, symbols: [...chosen], params: check.params }),
      label: `Add ${strategyId} (${kind.kind} on ${chosen.join(", ")})`,
    });
  };

  if (kinds.isPending) return <p className="state">Loading the strategy kinds…</p>;
  if (kinds.isError) return <p className="state state-error">Cannot load the strategy kinds: {kinds.error.message}</p>;
  return (
    <form className="params-form add-strategy" aria-label="Add a strategy" noValidate onSubmit={submit}>
      <div className="param-fields">
        <div className="param">
          <label htmlFor={`${formId}-id`}>Id</label>
          <input
            id={`${formId}-id`}
            value={strategyId}
            maxLength={STRATEGY_ID_MAX}
            placeholder="my-strategy"
            aria-invalid={tried && errors.id ? true : undefined}
            onChange={(e) => setStrategyId(e.target.value)}
          />
          {tried && errors.id && <small className="field-error">{errors.id}</small>}
        </div>
        <div className="param">
          <label htmlFor={`${formId}-kind`}>Kind</label>
          <select
            id={`${formId}-kind`}
            value={kind?.kind ?? ""}
            onChange={(e) => {
              setKindName(e.target.value);
              setValues({});
            }}
          >
            {kinds.data.map((k) => (
              <option key={k.kind}>{k.kind}</option>
            ))}
          </select>
        </div>
        <fieldset className="param symbols">
          <legend>Symbols</legend>
          {symbols.map((symbol) => (
            <label key={symbol} className="check">
              <input
                type="checkbox"
                checked={chosen.includes(symbol)}
                onChange={(e) =>
                  setChosen((all) => (e.target.checked ? [...all, symbol] : all.filter((s) => s !== symbol)))
                }
              />{" "}
              {symbol}
            </label>
          ))}
          {tried && errors.symbols && <small className="field-error">{errors.symbols}</small>}
        </fieldset>
      </div>
      <ParamsFields
        fields={fields}
        values={shown}
        errors={tried ? check.errors : {}}
        onChange={(name, value) => setValues((all) => ({ ...all, [name]: value }))}
      />
      <CommandFormFooter label="Add strategy" mutation={command} onClose={onClose} />
    </form>
  );
}
