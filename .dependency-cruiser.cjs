/**
 * Architecture rules between packages (DESIGN.md, Layout): core <- bus, metrics <- runtime <-
 * workers, gateway, cli; packages meet only through each other's src/index.ts; test-support is
 * for tests only. The core's purity
 * (no I/O, clock, randomness, environment) is enforced by ESLint's corePurity block.
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
    {
      name: "core-depends-on-nothing",
      comment: "packages/core is the pure domain; it imports no other package and no Node builtin",
      severity: "error",
      from: { path: "^packages/core/src" },
      to: { pathNot: ["^packages/core/src", "zod"] },
    },
    {
      name: "adapters-below-runtimes",
      comment: "bus, metrics and runtime are what processes are built of: they may use core, never a worker, the gateway or the CLI",
      severity: "error",
      from: { path: "^packages/(bus|metrics|runtime)/" },
      to: { path: "^packages/(market-data|strategy|gateway|cli)/" },
    },
    {
      name: "runtime-above-adapters",
      comment: "the runtime (process shell, config loader, HTTP face) builds on metrics; bus and metrics contribute their parts without it",
      severity: "error",
      from: { path: "^packages/(bus|metrics)/src" },
      to: { path: "^packages/runtime/" },
    },
    {
      name: "test-support-in-tests-only",
      severity: "error",
      from: { path: "^packages/[^/]+/src", pathNot: "^packages/test-support/" },
      to: { path: "^packages/test-support/" },
    },
    {
      name: "workers-independent",
      comment: "workers and the gateway talk over Kafka and HTTP, not through each other's code (tests may run the real neighbours)",
      severity: "error",
      from: { path: "^packages/(market-data|strategy|gateway)/", pathNot: "^packages/[^/]+/test/" },
      to: { path: "^packages/(market-data|strategy|gateway|cli)/", pathNot: "^packages/$1/" },
    },
    {
      name: "no-deep-imports",
      comment: "a package is used only through its src/index.ts",
      severity: "error",
      from: { path: "^packages/([^/]+)/" },
      to: { path: "^packages/([^/]+)/src/.+", pathNot: ["^packages/$1/", "^packages/[^/]+/src/index\\.ts$"] },
    },
    {
      name: "no-test-code-in-src",
      severity: "error",
      from: { path: "^packages/[^/]+/src" },
      to: { path: "^packages/[^/]+/test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "default"], extensions: [".ts", ".tsx", ".js"] },
  },
};
