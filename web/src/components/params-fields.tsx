import { useId } from "react";
import { describeField, type FormValue, type FormValues, type ParamField } from "../forms/params";

interface ParamsFieldsProps {
  fields: readonly ParamField[];
  values: FormValues;
  onChange: (name: string, value: FormValue) => void;
  /** Each refused field's message (shown once the user has tried to send). */
  errors: Record<string, string>;
  /** The instance's current parameters, shown beside each input when editing one. */
  current?: Record<string, unknown>;
}

/** The inputs of a kind's parameters: one per field, labelled by the parameter's name, its bounds below it. */
export function ParamsFields({ fields, values, onChange, errors, current }: ParamsFieldsProps) {
  const id = useId();
  return (
    <div className="param-fields">
      {fields.map((field) => (
        <ParamInput
          key={field.name}
          id={`${id}-${field.name}`}
          field={field}
          value={values[field.name] ?? (field.control === "checkbox" ? false : "")}
          onChange={(value) => onChange(field.name, value)}
          error={errors[field.name]}
          current={current ? current[field.name] : undefined}
          editing={current !== undefined}
        />
      ))}
    </div>
  );
}

interface ParamInputProps {
  id: string;
  field: ParamField;
  value: FormValue;
  onChange: (value: FormValue) => void;
  error: string | undefined;
  current: unknown;
  editing: boolean;
}

function ParamInput({ id, field, value, onChange, error, current, editing }: ParamInputProps) {
  const hint = [
    describeField(field),
    ...(field.default === undefined ? [] : [`default ${String(field.default)}`]),
    ...(editing ? [`current ${current === undefined ? "unset" : String(current)}`] : []),
  ].join(" · ");
  const described = `${id}-hint${error ? ` ${id}-error` : ""}`;
  const common = {
    id,
    name: field.name,
    "aria-describedby": described,
    "aria-invalid": error ? true : undefined,
    "data-testid": `param-${field.name}`,
  } as const;
  let input;
  switch (field.control) {
    case "checkbox":
      input = (
        <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
      );
      break;
    case "select":
      input = (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {!field.required && field.default === undefined && <option value="">(unset)</option>}
          {field.options.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      );
      break;
    case "number":
      input = (
        <input
          {...common}
          type="number"
          inputMode={field.integer ? "numeric" : "decimal"}
          min={field.min}
          max={field.max}
          step={field.step}
          placeholder={field.default === undefined ? "unset" : String(field.default)}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "text":
      input = (
        <input
          {...common}
          type="text"
          minLength={field.minLength}
          maxLength={field.maxLength}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
  }
  return (
    <div className={`param${field.control === "checkbox" ? " param-checkbox" : ""}`}>
      <label htmlFor={id} title={field.description}>
        {field.name}
      </label>
      {input}
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
      {error && (
        <small id={`${id}-error`} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
