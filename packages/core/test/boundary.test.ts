import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const eslint = new ESLint({ cwd: root });

async function violations(code: string, filePath = "packages/core/src/fixture.ts"): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result!.messages.filter((m) => m.ruleId?.startsWith("no-restricted")).map((m) => m.message);
}

describe("boundary check: packages/core stays pure (ESLint)", () => {
  it.each([
    ['import { readFileSync } from "node:fs";\nexport const x = readFileSync;', /Node I\/O modules/],
    ['import { connect } from "net";\nexport const x = connect;', /Node I\/O modules/],
    ['import { Kafka } from "kafkajs";\nexport const x = Kafka;', /Adapters/],
    ['import { KafkaClient } from "@aws-sdk/client-kafka";\nexport const x = KafkaClient;', /Adapters/],
    ['import { x } from "@tickflow/bus";\nexport const y = x;', /never the reverse/],
    ["export const t = Date.now();", /wall clock|Take time/],
    ["export const t = new Date();", /wall clock/],
    ["export const r = Math.random();", /seeded Prng/],
    ["export const e = process.env.KAFKA_BROKERS;", /environment|config\.ts/],
    ["export const t = performance.now();", /Take time|pure domain/],
    ["setTimeout(() => {}, 1);", /pure domain/],
  ])("rejects %s", async (code, message) => {
    const found = await violations(code);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join("\n")).toMatch(message);
  });

  it("accepts pure code: zod, Math functions and fixed dates", async () => {
    expect(
      await violations(
        'import { z } from "zod";\nexport const s = z.number();\nexport const t = Date.UTC(2026, 0, 1) + Math.floor(Math.sqrt(2));',
      ),
    ).toEqual([]);
  });

  it("does not apply the core's rules to adapters", async () => {
    expect(await violations("export const t = Date.now();", "packages/cli/src/fixture.ts")).toEqual([]);
  });
});

// each case runs dependency-cruiser in a process of its own: seconds, more on a loaded machine
describe("boundary check: package dependency rules (dependency-cruiser)", { timeout: 60_000 }, () => {
  async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
    const dir = await mkdtemp(join(tmpdir(), "depcruise-"));
    try {
      await writeFile(
        join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler" } }),
      );
      for (const [path, text] of Object.entries(files)) {
        await mkdir(join(dir, path, ".."), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      const bin = join(root, "node_modules/.bin/depcruise");
      try {
        const { stdout } = await promisify(execFile)(
          bin,
          ["packages", "--config", join(root, ".dependency-cruiser.cjs")],
          { cwd: dir },
        );
        return { code: 0, output: stdout };
      } catch (error) {
        const e = error as { code: number; stdout: string };
        return { code: e.code, output: e.stdout };
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("fails when core imports a Node builtin or another package", async () => {
    const result = await cruise({
      "packages/core/src/index.ts": 'import "node:fs";\nimport "../../bus/src/index";\n',
      "packages/bus/src/index.ts": "export const x = 1;\n",
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/core-depends-on-nothing/);
  });

  it("fails on a deep import into another package and on an adapter importing a worker", async () => {
    const result = await cruise({
      "packages/bus/src/index.ts": 'import "../../strategy/src/engine-loop";\n',
      "packages/strategy/src/index.ts": "export const x = 1;\n",
      "packages/strategy/src/engine-loop.ts": "export const y = 1;\n",
    });
    expect(result.output).toMatch(/no-deep-imports/);
    expect(result.output).toMatch(/adapters-below-runtimes/);
  });

  it("passes the repository itself", async () => {
    const { stdout } = await promisify(execFile)(
      join(root, "node_modules/.bin/depcruise"),
      ["packages", "--config", ".dependency-cruiser.cjs"],
      { cwd: root },
    );
    expect(stdout).toMatch(/no dependency violations found/);
  });
});
