import { ConfigError } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonVariable, readEnv, Router, ServiceEnvSchema } from "../src";

const Port = z.object({
  PORT: z.coerce.number({ error: "must be a number" }).int().default(7000),
  NAME: z.string().min(2, "must be at least 2 characters").optional(),
});
const List = z.object({ ITEMS: jsonVariable(z.array(z.string().min(1, "must not be empty"))).optional() });

describe("readEnv: one loader, each package its part", () => {
  it("parses every part against the same environment, with defaults", () => {
    expect(
      readEnv({ PORT: "8001", ITEMS: '["a","b"]' }, { service: ServiceEnvSchema, port: Port, list: List }),
    ).toEqual({ service: { LOG_LEVEL: "info" }, port: { PORT: 8001 }, list: { ITEMS: ["a", "b"] } });
  });

  it('takes "" (and blanks) for unset everywhere, so defaults apply', () => {
    expect(readEnv({ PORT: "", NAME: "   ", LOG_LEVEL: "" }, { service: ServiceEnvSchema, port: Port })).toEqual({
      service: { LOG_LEVEL: "info" },
      port: { PORT: 7000 },
    });
  });

  it("reports every problem of every part at once, each as NAME: what is wrong", () => {
    const read = () =>
      readEnv(
        { PORT: "x", NAME: "a", LOG_LEVEL: "loud", ITEMS: '["", "b"]' },
        { service: ServiceEnvSchema, port: Port, list: List },
      );
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      "LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent; PORT: must be a number; NAME: must be at least 2 characters; ITEMS.0: must not be empty",
    );
  });

  it("names a JSON variable that is not JSON", () => {
    expect(() => readEnv({ ITEMS: "[oops" }, { list: List })).toThrow(/^ITEMS: not JSON: /);
  });
});

describe("Router: one route table, parameters in braces", () => {
  const router = new Router([
    { method: "GET", path: "/quotes/{symbol}", name: "quote" },
    { method: "POST", path: "/quotes/{symbol}", name: "post" },
    { method: "GET", path: "/a.b/{x}/c", name: "dots" },
  ]);

  it("finds the route of a method and path, with its raw parameters", () => {
    expect(router.resolve("GET", "/quotes/BTC%2DUSD")).toEqual({
      kind: "found",
      route: router.routes[0],
      params: { symbol: "BTC%2DUSD" },
    });
    expect(router.resolve("GET", "/a.b/1/c")).toMatchObject({ kind: "found", params: { x: "1" } });
  });

  it("tells a known path with another method (with what it allows) from an unknown one", () => {
    expect(router.resolve("DELETE", "/quotes/AAPL")).toMatchObject({
      kind: "method-not-allowed",
      allow: ["GET", "POST"],
    });
    for (const path of ["/quotes", "/quotes/", "/quotes/a/b", "/aXb/1/c"])
      expect(router.resolve("GET", path)).toEqual({ kind: "not-found" });
    expect(router.forPath("/quotes/x").map((r) => r.name)).toEqual(["quote", "post"]);
  });
});
