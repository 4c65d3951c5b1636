import type { ParamValues } from "../api/commands";
import type { JsonSchema } from "../api/types";

/**
 * Strategy parameter forms, generated from the JSON Schema GET /api/strategy-kinds gives each
 * kind (z.toJSONSchema of its zod schema, input form): a number input per number or integer
 * (bounds and step from the schema), a select per enum, a checkbox per boolean, a text input
 * for any other string. Values are checked here against the same bounds before they are sent;
 * what the schema cannot say (fast below slow) the engine checks, rejecting with invalid-params.
 */

interface FieldBase {
  name: string;
  /** The schema's title or description, if it has one. */
  description?: string;
  /** The schema's default: what the strategy uses when the parameter is not given. */
  default?: ParamValue;
  /** In the schema's `required`: it has no default and cannot be left out. */
  required: boolean;
}

export type ParamValue = number | string | boolean;

export interface NumberField extends FieldBase {
  control: "number";
  integer: boolean;
  /** Lower bound, and whether the bound itself is out (exclusiveMinimum). */
  min?: number;
  minExclusive: boolean;
  max?: number;
  maxExclusive: boolean;
  /** The input's step: 1 for an integer, the schema's multipleOf, else "any". */
  step: number | "any";
}

export interface SelectField extends FieldBase {
  control: "select";
  /** The enum's values, in the schema's order. */
  options: readonly ParamValue[];
}

export interface CheckboxField extends FieldBase {
  control: "checkbox";
}

export interface TextField extends FieldBase {
  control: "text";
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export type ParamField = NumberField | SelectField | CheckboxField | TextField;

/**
 * zod writes int() as maximum 9007199254740991 (and -9007199254740991): no bound a person
 * would set, so not shown as one.
 */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** The schema's types, without "null" (an optional parameter is left out, never null). */
function typesOf(schema: JsonSchema): string[] {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.filter((t) => t !== "null");
}

function isScalar(value: unknown): value is ParamValue {
  return typeof value === "number" || typeof value === "string" || typeof value === "boolean";
}

/** An enum's values: `enum`, or an anyOf of `const`s (how some generators write a union of literals). */
function enumOf(schema: JsonSchema): ParamValue[] | undefined {
  if (schema.enum) return schema.enum.filter(isScalar);
  if (schema.const !== undefined && isScalar(schema.const)) return [schema.const];
  if (schema.anyOf?.length && schema.anyOf.every((s) => s.const !== undefined && isScalar(s.const)))
    return schema.anyOf.map((s) => s.const as ParamValue);
  return undefined;
}

/** One property's field; null for what a flat form cannot edit (objects, arrays). */
export function fieldOf(name: string, schema: JsonSchema, required: boolean): ParamField | null {
  // an optional property some generators write as anyOf [T, null]: the T is the field
  const inner = schema.anyOf?.filter((s) => !(typesOf(s).length === 0 && s.type === "null"));
  if (inner?.length === 1 && enumOf(schema) === undefined)
    return fieldOf(name, { ...inner[0], default: schema.default ?? inner[0]!.default }, required);
  const base: FieldBase = {
    name,
    required,
    ...(schema.description || schema.title ? { description: schema.description ?? schema.title } : {}),
    ...(isScalar(schema.default) ? { default: schema.default } : {}),
  };
  const options = enumOf(schema);
  if (options) return { ...base, control: "select", options };
  const [type] = typesOf(schema);
  if (type === "boolean") return { ...base, control: "checkbox" };
  if (type === "number" || type === "integer") {
    const integer = type === "integer";
    // exclusiveMinimum is a number in JSON Schema 2020-12; the tighter of the two bounds applies
    const min = tighter(schema.minimum, schema.exclusiveMinimum, Math.max);
    const max = tighter(schema.maximum, schema.exclusiveMaximum, Math.min);
    return {
      ...base,
      control: "number",
      integer,
      ...(min && Math.abs(min.value) < UNBOUNDED ? { min: min.value } : {}),
      minExclusive: min !== undefined && Math.abs(min.value) < UNBOUNDED && min.exclusive,
      ...(max && Math.abs(max.value) < UNBOUNDED ? { max: max.value } : {}),
      maxExclusive: max !== undefined && Math.abs(max.value) < UNBOUNDED && max.exclusive,
      step: schema.multipleOf ?? (integer ? 1 : "any"),
    };
  }
  if (type === "string")
    return {
      ...base,
      control: "text",
      ...(schema.minLength === undefined ? {} : { minLength: schema.minLength }),
      ...(schema.maxLength === undefined ? {} : { maxLength: schema.maxLength }),
      ...(schema.pattern === undefined ? {} : { pattern: schema.pattern }),
    };
  return null;
}

/** The binding bound of an inclusive and an exclusive one: the higher lower bound, the lower upper bound. */
function tighter(
  inclusive: number | undefined,
  exclusive: number | undefined,
  pick: (a: number, b: number) => number,
): { value: number; exclusive: boolean } | undefined {
  if (exclusive === undefined) return inclusive === undefined ? undefined : { value: inclusive, exclusive: false };
  if (inclusive === undefined) return { value: exclusive, exclusive: true };
  const value = pick(inclusive, exclusive);
  // equal bounds: the exclusive one is the stricter
  return { value, exclusive: value === exclusive };
}

/** Every editable parameter of a kind's schema, in the schema's order. */
export function paramFields(schema: JsonSchema): ParamField[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) => {
    const field = fieldOf(name, property, required.has(name));
    return field ? [field] : [];
  });
}

/** A field's bounds as a person reads them: "integer ≥ 1", "> 0 and ≤ 10000", "one of 1s, 1m, 5m". */
export function describeField(field: ParamField): string {
  switch (field.control) {
    case "number": {
      const bounds = [
        ...(field.min === undefined ? [] : [`${field.minExclusive ? ">" : "≥"} ${field.min}`]),
        ...(field.max === undefined ? [] : [`${field.maxExclusive ? "<" : "≤"} ${field.max}`]),
      ];
      const kind = field.integer ? "integer" : "number";
      const step =
        typeof field.step === "number" && !(field.integer && field.step === 1) ? [`multiple of ${field.step}`] : [];
      return [bounds.length ? `${kind} ${bounds.join(" and ")}` : kind, ...step].join(", ");
    }
    case "select":
      return `one of ${field.options.map(String).join(", ")}`;
    case "checkbox":
      return "yes or no";
    case "text": {
      const length =
        field.minLength !== undefined && field.maxLength !== undefined
          ? `${field.minLength} to ${field.maxLength} characters`
          : field.maxLength !== undefined
            ? `at most ${field.maxLength} characters`
            : field.minLength !== undefined
              ? `at least ${field.minLength} characters`
              : "text";
      return length;
    }
  }
}

/** What a form holds per field: the text of an input or select, or a checkbox's state. */
export type FormValue = string | boolean;
export type FormValues = Record<string, FormValue>;

/** A value as its input shows it. */
export function formValue(field: ParamField, value: ParamValue | undefined): FormValue {
  if (field.control === "checkbox") return value === true;
  return value === undefined ? "" : String(value);
}

/**
 * The form's starting values: each parameter's current value (editing an instance), else its
 * default (adding one), else empty.
 */
export function initialValues(fields: readonly ParamField[], current: Record<string, unknown> = {}): FormValues {
  return Object.fromEntries(
    fields.map((field) => {
      const value = current[field.name];
      return [field.name, formValue(field, isScalar(value) ? value : field.default)];
    }),
  );
}

/** A field's checked value: the parameter (undefined for an optional one left empty), or why it is refused. */
export type FieldCheck = { ok: true; value: ParamValue | undefined } | { ok: false; error: string };

/** Checks one field's input against its schema. */
export function checkField(field: ParamField, input: FormValue): FieldCheck {
  if (field.control === "checkbox") return { ok: true, value: input === true };
  const text = typeof input === "string" ? input.trim() : "";
  if (text === "")
    return field.required ? { ok: false, error: `${field.name} is required` } : { ok: true, value: undefined };
  switch (field.control) {
    case "select": {
      const value = field.options.find((option) => String(option) === text);
      return value === undefined
        ? { ok: false, error: `${field.name} must be ${describeField(field)}` }
        : { ok: true, value };
    }
    case "number":
      return checkNumber(field, text);
    case "text": {
      if (field.minLength !== undefined && text.length < field.minLength)
        return { ok: false, error: `${field.name} must be at least ${field.minLength} characters` };
      if (field.maxLength !== undefined && text.length > field.maxLength)
        return { ok: false, error: `${field.name} must be at most ${field.maxLength} characters` };
      if (field.pattern !== undefined && !new RegExp(field.pattern, "u").test(text))
        return { ok: false, error: `${field.name} must match ${field.pattern}` };
      return { ok: true, value: text };
    }
  }
}

/** A plain decimal: "12", "-0.5", ".5", "1e3"; not "0x10", "12abc" or "Infinity". */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function checkNumber(field: NumberField, text: string): FieldCheck {
  const value = Number(text);
  if (!NUMBER.test(text) || !Number.isFinite(value)) return { ok: false, error: `${field.name} must be a number` };
  if (field.integer && !Number.isInteger(value)) return { ok: false, error: `${field.name} must be a whole number` };
  const below = field.min !== undefined && (field.minExclusive ? value <= field.min : value < field.min);
  const above = field.max !== undefined && (field.maxExclusive ? value >= field.max : value > field.max);
  if (below || above) return { ok: false, error: `${field.name} must be ${describeField(field)}` };
  if (typeof field.step === "number" && !field.integer && !isMultiple(value, field.step))
    return { ok: false, error: `${field.name} must be a multiple of ${field.step}` };
  return { ok: true, value };
}

/** Whether `value` is a whole number of `step`s, allowing for binary fractions (0.3 of 0.1). */
function isMultiple(value: number, step: number): boolean {
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-9 * Math.max(1, Math.abs(n));
}

/** The checked form: the parameters to send, and each refused field's error (empty when there is none). */
export interface ParamsCheck {
  params: ParamValues;
  errors: Record<string, string>;
}

/**
 * Checks every field and returns the parameters that differ from `baseline`: the current values
 * when editing (a PATCH merges what it names onto the rest), the defaults when adding. An
 * optional field left empty is left out: the strategy keeps (or defaults) it.
 */
export function checkParams(
  fields: readonly ParamField[],
  values: FormValues,
  baseline: Record<string, unknown> = {},
): ParamsCheck {
  const params: ParamValues = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const check = checkField(field, values[field.name] ?? formValue(field, undefined));
    if (!check.ok) errors[field.name] = check.error;
    else if (check.value !== undefined && check.value !== baseline[field.name]) params[field.name] = check.value;
  }
  return { params, errors };
}

/** A kind's defaults: the baseline a new instance's parameters are compared with. */
export function defaultsOf(fields: readonly ParamField[]): Record<string, ParamValue> {
  return Object.fromEntries(fields.flatMap((f) => (f.default === undefined ? [] : [[f.name, f.default]])));
}
