import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const PURE = "packages/core is the pure domain: no I/O, no wall clock, no unseeded randomness, no environment.";

/**
 * The core's purity rules: imports of I/O modules and reads of ambient state (clock, randomness,
 * environment) fail lint. Exported so the boundary test can prove each rule fires.
 */
export const corePurity = {
  files: ["packages/core/src/**/*.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            group: [
              "node:*",
              "fs",
              "fs/*",
              "net",
              "http",
              "https",
              "http2",
              "child_process",
              "os",
              "dgram",
              "dns",
              "tls",
              "worker_threads",
              "cluster",
              "readline",
              "process",
              "perf_hooks",
              "crypto",
            ],
            message: `${PURE} Node I/O modules belong in adapters.`,
          },
          {
            group: ["kafkajs", "@platformatic/*", "@aws-sdk/*", "aws-*", "pino", "prom-client"],
            message: `${PURE} Adapters (bus, metrics, workers) wrap these.`,
          },
          { group: ["@tickflow/*"], message: `${PURE} Other packages depend on core, never the reverse.` },
        ],
      },
    ],
    "no-restricted-properties": [
      "error",
      { object: "Date", property: "now", message: `${PURE} Take time from the tick or a parameter.` },
      { object: "Math", property: "random", message: `${PURE} Use the seeded Prng.` },
      { object: "process", property: "env", message: `${PURE} Read configuration in the runtime's config.ts.` },
      { object: "performance", property: "now", message: `${PURE} Take time from the tick or a parameter.` },
      { object: "crypto", property: "randomUUID", message: `${PURE} Build deterministic ids.` },
      { object: "crypto", property: "getRandomValues", message: `${PURE} Use the seeded Prng.` },
    ],
    "no-restricted-globals": [
      "error",
      ...[
        "process",
        "fetch",
        "setTimeout",
        "setInterval",
        "setImmediate",
        "queueMicrotask",
        "performance",
        "crypto",
        "require",
        "XMLHttpRequest",
        "WebSocket",
      ].map((name) => ({ name, message: PURE })),
    ],
    "no-restricted-syntax": [
      "error",
      {
        selector: "NewExpression[callee.name='Date'][arguments.length=0]",
        message: `${PURE} new Date() reads the wall clock.`,
      },
      { selector: "CallExpression[callee.name='Date']", message: `${PURE} Date() reads the wall clock.` },
      { selector: "ImportExpression", message: `${PURE} No dynamic imports.` },
    ],
  },
};

export default defineConfig(
  { ignores: ["**/node_modules/", "**/dist/", ".sst/", "cdk.out/", "test-results/", "coverage/", ".build/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // CommonJS files (.dependency-cruiser.cjs reads the workspaces' manifests): require() is their import
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  corePurity,
);
