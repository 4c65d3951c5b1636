import { describe, expect, it } from "vitest";
import type { JsonSchema } from "../src/api/types";
import {
  checkField,
  checkParams,
  defaultsOf,
  describeField,
  fieldOf,
  initialValues,
  paramFields,
  type NumberField,
  type ParamField,
} from "../src/forms/params";
import { smaCrossoverKind } from "./fixtures";

const fields = paramFields(smaCrossoverKind.params);
const field = (name: string): ParamField => fields.find((f) => f.name === name)!;

describe("parameter forms from a kind's JSON Schema", () => {
  it("makes one field per property, in the schema's order: selects for enums, checkboxes for booleans, number inputs with the bounds", () => {
    expect(fields.map((f) => [f.name, f.control])).toEqual([
      ["interval", "select"],
      ["tradeNotional", "number"],
      ["allowShort", "checkbox"],
      ["entryOrder", "select"],
      ["takeProfitBps", "number"],
      ["stopLossBps", "number"],
      ["takeProfitVol", "number"],
      ["stopLossVol", "number"],
      ["fast", "number"],
      ["slow", "number"],
    ]);
    expect(field("interval")).toEqual({
      name: "interval",
      control: "select",
      options: ["1s", "1m", "5m"],
      default: "1s",
      required: false,
    });
    expect(field("allowShort")).toEqual({ name: "allowShort", control: "checkbox", default: true, required: false });
    // exclusiveMinimum 0: above 0, 0 itself refused; no upper bound
    expect(field("tradeNotional")).toEqual({
      name: "tradeNotional",
      control: "number",
      integer: false,
      min: 0,
      minExclusive: true,
      maxExclusive: false,
      step: "any",
      default: 10_000,
      required: false,
    });
    // optional: no default
    expect(field("takeProfitBps")).toMatchObject({ min: 0, minExclusive: true, max: 10_000, maxExclusive: false });
    expect(field("takeProfitBps")).not.toHaveProperty("default");
    // int(): step 1, and zod's maximum 9007199254740991 is no bound anyone sets
    expect(field("fast")).toEqual({
      name: "fast",
      control: "number",
      integer: true,
      min: 1,
      minExclusive: false,
      maxExclusive: false,
      step: 1,
      default: 10,
      required: false,
    });
  });

  it("says each field's bounds in words", () => {
    expect(describeField(field("interval"))).toBe("one of 1s, 1m, 5m");
    expect(describeField(field("tradeNotional"))).toBe("number > 0");
    expect(describeField(field("takeProfitBps"))).toBe("number > 0 and ≤ 10000");
    expect(describeField(field("fast"))).toBe("integer ≥ 1");
    expect(describeField(field("allowShort"))).toBe("yes or no");
  });

  it("takes the tighter of an inclusive and an exclusive bound, multipleOf as the step, and unwraps anyOf [T, null]", () => {
    const f = (schema: JsonSchema) => fieldOf("x", schema, false) as NumberField;
    expect(f({ type: "number", minimum: 1, exclusiveMinimum: 1 })).toMatchObject({ min: 1, minExclusive: true });
    expect(f({ type: "number", minimum: 2, exclusiveMinimum: 1 })).toMatchObject({ min: 2, minExclusive: false });
    expect(f({ type: "number", maximum: 5, exclusiveMaximum: 6 })).toMatchObject({ max: 5, maxExclusive: false });
    expect(f({ type: "number", multipleOf: 0.5 })).toMatchObject({ step: 0.5 });
    expect(f({ anyOf: [{ type: "number", minimum: 0 }, { type: "null" }], default: 3 })).toMatchObject({
      control: "number",
      min: 0,
      default: 3,
    });
    expect(fieldOf("x", { anyOf: [{ const: "a" }, { const: "b" }] }, false)).toMatchObject({
      control: "select",
      options: ["a", "b"],
    });
    expect(fieldOf("x", { type: "string", maxLength: 8 }, false)).toMatchObject({ control: "text", maxLength: 8 });
  });

  it("leaves out what a flat form cannot edit, and marks required properties", () => {
    const schema: JsonSchema = {
      type: "object",
      required: ["n"],
      properties: { n: { type: "integer" }, list: { type: "array" }, nested: { type: "object" } },
    };
    expect(paramFields(schema).map((f) => [f.name, f.required])).toEqual([["n", true]]);
  });

  it("checks a number against its bounds: exclusive bounds refuse the bound itself, integers refuse fractions", () => {
    const fast = field("fast");
    expect(checkField(fast, "12")).toEqual({ ok: true, value: 12 });
    expect(checkField(fast, "1")).toEqual({ ok: true, value: 1 });
    expect(checkField(fast, "0")).toEqual({ ok: false, error: "fast must be integer ≥ 1" });
    expect(checkField(fast, "1.5")).toEqual({ ok: false, error: "fast must be a whole number" });
    expect(checkField(fast, "0x10")).toEqual({ ok: false, error: "fast must be a number" });
    expect(checkField(fast, "12abc")).toEqual({ ok: false, error: "fast must be a number" });
    // optional: empty means left out
    expect(checkField(fast, "  ")).toEqual({ ok: true, value: undefined });

    const notional = field("tradeNotional");
    expect(checkField(notional, "0")).toEqual({ ok: false, error: "tradeNotional must be number > 0" });
    expect(checkField(notional, "0.01")).toEqual({ ok: true, value: 0.01 });

    const bps = field("takeProfitBps");
    expect(checkField(bps, "10000")).toEqual({ ok: true, value: 10_000 });
    expect(checkField(bps, "10000.5")).toEqual({ ok: false, error: "takeProfitBps must be number > 0 and ≤ 10000" });

    const half = fieldOf("h", { type: "number", multipleOf: 0.1 }, false)!;
    // 0.3 / 0.1 is 2.9999999999999996 in binary: still a multiple
    expect(checkField(half, "0.3")).toEqual({ ok: true, value: 0.3 });
    expect(checkField(half, "0.35")).toEqual({ ok: false, error: "h must be a multiple of 0.1" });

    const required = fieldOf("n", { type: "integer" }, true)!;
    expect(checkField(required, "")).toEqual({ ok: false, error: "n is required" });
  });

  it("checks enums and booleans", () => {
    expect(checkField(field("interval"), "1m")).toEqual({ ok: true, value: "1m" });
    expect(checkField(field("interval"), "2m")).toEqual({ ok: false, error: "interval must be one of 1s, 1m, 5m" });
    expect(checkField(field("allowShort"), false)).toEqual({ ok: true, value: false });
  });

  it("starts an edit from the current values and sends only what changed", () => {
    const current = {
      interval: "1s",
      tradeNotional: 10_000,
      allowShort: true,
      entryOrder: "market",
      fast: 10,
      slow: 30,
    };
    const values = initialValues(fields, current);
    expect(values).toEqual({
      interval: "1s",
      tradeNotional: "10000",
      allowShort: true,
      entryOrder: "market",
      takeProfitBps: "",
      stopLossBps: "",
      takeProfitVol: "",
      stopLossVol: "",
      fast: "10",
      slow: "30",
    });
    expect(checkParams(fields, values, current)).toEqual({ params: {}, errors: {} });
    expect(checkParams(fields, { ...values, fast: "12", allowShort: false, takeProfitBps: "50" }, current)).toEqual({
      params: { fast: 12, allowShort: false, takeProfitBps: 50 },
      errors: {},
    });
    expect(checkParams(fields, { ...values, fast: "0", slow: "x" }, current)).toEqual({
      params: {},
      errors: { fast: "fast must be integer ≥ 1", slow: "slow must be a number" },
    });
  });

  it("starts a new instance from the defaults and sends only what differs from them", () => {
    const defaults = defaultsOf(fields);
    expect(defaults).toEqual({
      interval: "1s",
      tradeNotional: 10_000,
      allowShort: true,
      entryOrder: "market",
      fast: 10,
      slow: 30,
    });
    const values = initialValues(fields);
    expect(values.fast).toBe("10");
    expect(values.takeProfitBps).toBe("");
    expect(checkParams(fields, values, defaults)).toEqual({ params: {}, errors: {} });
    expect(checkParams(fields, { ...values, slow: "40", interval: "1m" }, defaults).params).toEqual({
      interval: "1m",
      slow: 40,
    });
  });
});
