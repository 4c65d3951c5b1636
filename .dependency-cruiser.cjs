/**
 * Architecture rules over the whole repository (DESIGN.md, Layout), checked by `npm run boundaries`.
 *
 * - Direction: core <- bus, metrics <- runtime <- market-data, strategy, projector, gateway, cli;
 *   core <- read-side (the read side's schema and queries) <- projector, gateway, cli;
 *   the workers and the gateway meet over Kafka and HTTP, not through each other's code.
 *   The core's purity (no I/O, clock, randomness, environment) is also enforced by ESLint's corePurity block.
 * - A workspace is used by its name and only through what its package.json `exports` (src/index.ts;
 *   the gateway also exports ./schemas): no deep import, no relative path into another workspace.
 * - Every package a file imports is declared in the nearest package.json: `dependencies` for
 *   src/ and bin/ (devDependencies for type-only imports, which the build erases), devDependencies for
 *   tests and config. Root-level files (stacks/, monitoring/, local/docker/, root configs) use the
 *   root package.json. Third-party packages: dependency-cruiser's npm-no-pkg / npm-unknown / npm-dev
 *   types; our own workspaces: rules generated below from each workspace's manifest.
 * - web/ is a browser bundle: @tickflow/core, @tickflow/gateway/schemas and /stream-schema only, nothing Node, AWS or Kafka.
 * - stacks/ is the top of the deploy side (sst.config.ts loads it): nothing imports it.
 * - Tests use their own package's code and other packages' public entries; what suites share lives
 *   in @tickflow/test-support, which no production code imports.
 */
const { builtinModules } = require("node:module");
const { existsSync, readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

const readManifest = (dir) => JSON.parse(readFileSync(join(__dirname, dir, "package.json"), "utf8"));
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const anyOf = (patterns) => `(${patterns.join("|")})`;

const root = readManifest(".");

/** npm's workspace globs ("packages/*", "local/kafka", "web") as path patterns, and the workspaces on disk. */
const WORKSPACE = anyOf(root.workspaces.map((glob) => escapeRegExp(glob).replace(/\/\\\*$/, "/[^/]+")));
const workspaces = root.workspaces
  .flatMap((glob) =>
    glob.endsWith("/*")
      ? readdirSync(join(__dirname, glob.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${glob.slice(0, -2)}/${entry.name}`)
      : [glob],
  )
  .filter((dir) => existsSync(join(__dirname, dir, "package.json")))
  .map((dir) => ({ dir, manifest: readManifest(dir) }));

/** The files a workspace's `exports` point at: the only ones another workspace or root-level file may import. */
const leaves = (value) => (typeof value === "string" ? [value] : Object.values(value ?? {}).flatMap(leaves));
const PUBLIC_ENTRIES = workspaces.flatMap(({ dir, manifest }) =>
  leaves(manifest.exports).map((target) => `^${escapeRegExp(join(dir, target))}$`),
);

/** Production code: what runs in a process, a Lambda, a container or the browser. */
const PRODUCTION = [`^${WORKSPACE}/(src|bin)/`, "^stacks/", "^sst\\.config\\.ts$"];
const PRODUCTION_NOT = ["^stacks/test/"];
/** Folders of tests, by area: a workspace, or a root-level folder. */
const AREA = anyOf([WORKSPACE.slice(1, -1), "local/[^/]+", "stacks", "monitoring"]);

const declared = (manifest, ...fields) => new Set(fields.flatMap((field) => Object.keys(manifest[field] ?? {})));

/**
 * @tickflow/* imports resolve to workspace folders, outside node_modules, so dependency-cruiser's
 * npm-no-pkg check does not see them: one rule per importing workspace lists the workspaces its
 * manifest does not declare.
 */
function undeclaredWorkspaces(fromPath, fromPathNot, manifest, where, fields, extra = {}) {
  const names = declared(manifest, ...fields);
  const missing = workspaces.filter(
    ({ dir, manifest: other }) => !names.has(other.name) && !fromPath.startsWith(`^${escapeRegExp(dir)}/`),
  );
  if (missing.length === 0) return [];
  return [
    {
      name: "workspace-dependency-declared",
      comment: `${where} imports a workspace its package.json does not list in ${fields.join(" or ")} (${missing.map(({ manifest: m }) => m.name).join(", ")})`,
      severity: "error",
      from: { path: fromPath, ...(fromPathNot.length > 0 ? { pathNot: fromPathNot } : {}) },
      to: { path: missing.map(({ dir }) => `^${escapeRegExp(dir)}/`), ...extra },
    },
  ];
}

const workspaceDeclarations = [
  ...workspaces.flatMap(({ dir, manifest }) => [
    ...undeclaredWorkspaces(`^${escapeRegExp(dir)}/`, [], manifest, `${dir}/`, ["dependencies", "devDependencies"]),
    ...undeclaredWorkspaces(`^${escapeRegExp(dir)}/(src|bin)/`, [], manifest, `${dir}/src`, ["dependencies"], {
      dependencyTypesNot: ["type-only"],
    }),
  ]),
  // Root-level files (stacks, sst.config.ts, monitoring and compose tests) get every workspace through the
  // root's `workspaces`; listing them as dependencies too would make SST's config loader mark them external
  // and hand Node their raw .ts sources.
];

const NODE_BUILTIN = `^(node:)?${anyOf(builtinModules.map(escapeRegExp))}$`;
const SERVER_ONLY_PACKAGES =
  "(^|/)node_modules/(kafkajs|@platformatic/|@aws-sdk/|aws-|@middy/|pino|prom-client|testcontainers|@testcontainers/)";

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },

    // -- direction between the packages ------------------------------------------------------------
    {
      name: "core-depends-on-nothing",
      comment: "packages/core is the pure domain; it imports zod, no other package and no Node builtin",
      severity: "error",
      from: { path: "^packages/core/src" },
      to: { pathNot: ["^packages/core/src/", "(^|/)node_modules/zod/"] },
    },
    {
      name: "bus-and-metrics-side-by-side",
      comment: "bus and metrics both build on core only; the runtime is where they meet",
      severity: "error",
      from: { path: "^packages/(bus|metrics)/src/" },
      to: { path: "^packages/(bus|metrics)/", pathNot: "^packages/$1/" },
    },
    {
      name: "read-side-on-core",
      comment:
        "the read side (schema, migrations, queries) builds on core only: the projector and the gateway share it, it knows neither Kafka nor HTTP",
      severity: "error",
      from: { path: "^packages/read-side/src/" },
      to: { path: "^packages/(bus|metrics|runtime|market-data|strategy|projector|gateway|cli)/" },
    },
    {
      name: "adapters-below-runtimes",
      comment:
        "bus, metrics and runtime are what processes are built of: they may use core, never a worker, the gateway or the CLI",
      severity: "error",
      from: { path: "^packages/(bus|metrics|runtime)/" },
      to: { path: "^packages/(market-data|strategy|projector|gateway|cli)/" },
    },
    {
      name: "runtime-above-adapters",
      comment:
        "the runtime (process shell, config loader, HTTP face) builds on metrics; bus and metrics contribute their parts without it",
      severity: "error",
      from: { path: "^packages/(bus|metrics)/src" },
      to: { path: "^packages/runtime/" },
    },
    {
      name: "workers-independent",
      comment:
        "workers and the gateway talk over Kafka and HTTP, not through each other's code (tests may run the real neighbours)",
      severity: "error",
      from: { path: "^packages/(market-data|strategy|projector|gateway)/", pathNot: "^packages/[^/]+/test/" },
      to: { path: "^packages/(market-data|strategy|projector|gateway|cli)/", pathNot: "^packages/$1/" },
    },
    {
      name: "cli-on-top",
      comment: "the tickflow command sits on top of everything; nothing imports it (other suites run it as a process)",
      severity: "error",
      from: { pathNot: "^packages/cli/" },
      to: { path: "^packages/cli/" },
    },
    {
      name: "local-kafka-for-the-cli-and-tests",
      comment:
        "the no-Docker Kafka launcher is started by the tickflow command and by tests; workers and the gateway take brokers from the environment",
      severity: "error",
      from: { path: PRODUCTION, pathNot: ["^packages/cli/", ...PRODUCTION_NOT] },
      to: { path: "^local/kafka/" },
    },

    // -- workspaces are used by name, through their public entries ---------------------------------
    {
      name: "no-deep-imports",
      comment:
        "a workspace is used only through what its package.json exports (src/index.ts; @tickflow/gateway/schemas)",
      severity: "error",
      from: { path: `^${WORKSPACE}/` },
      to: { path: `^${WORKSPACE}/`, pathNot: ["^$1/", ...PUBLIC_ENTRIES] },
    },
    {
      name: "no-deep-imports",
      comment:
        "root-level files (stacks, monitoring, local/docker) use a workspace only through what its package.json exports",
      severity: "error",
      from: { pathNot: `^${WORKSPACE}/` },
      to: { path: `^${WORKSPACE}/`, pathNot: PUBLIC_ENTRIES },
    },
    {
      name: "no-relative-path-out-of-workspace",
      comment:
        "a workspace reaches another workspace by its package name, never by ../ (nor into local/, monitoring/ or stacks/)",
      severity: "error",
      from: { path: `^${WORKSPACE}/` },
      to: { dependencyTypes: ["local"], dependencyTypesNot: ["aliased"], pathNot: "^$1/" },
    },
    {
      name: "no-relative-path-into-workspace",
      comment: "root-level files import a workspace by its package name, never by a relative path",
      severity: "error",
      from: { pathNot: `^${WORKSPACE}/` },
      to: { dependencyTypes: ["local"], dependencyTypesNot: ["aliased"], path: `^${WORKSPACE}/` },
    },

    // -- root-level folders ------------------------------------------------------------------------
    {
      name: "nothing-imports-stacks",
      comment: "stacks/ is loaded by sst.config.ts and tested by stacks/test; no package, web or tool imports it",
      severity: "error",
      from: { pathNot: ["^stacks/", "^sst\\.config\\.ts$"] },
      to: { path: ["^stacks/", "^sst\\.config\\.ts$"] },
    },
    {
      name: "stacks-use-public-entries",
      comment:
        "the stacks take gateway routes and handler paths, the metrics catalog, the bus topic registry, the projector's topics and runtime's dashboard headers from those packages' entries",
      severity: "error",
      from: { path: ["^stacks/", "^sst\\.config\\.ts$"] },
      to: {
        path: `^${WORKSPACE}/`,
        pathNot: [
          "^packages/bus/src/index\\.ts$",
          "^packages/gateway/src/index\\.ts$",
          "^packages/metrics/src/index\\.ts$",
          "^packages/projector/src/index\\.ts$",
          "^packages/runtime/src/index\\.ts$",
        ],
      },
    },
    {
      name: "monitoring-and-compose-are-leaves",
      comment: "monitoring/ and local/docker/ hold configuration, scripts and their tests; nothing imports them",
      severity: "error",
      from: { path: "^(monitoring|local/docker)/" },
      to: { path: "^(monitoring|local/docker)/", pathNot: "^$1/" },
    },
    {
      name: "monitoring-and-compose-are-leaves",
      comment: "monitoring/ and local/docker/ hold configuration, scripts and their tests; nothing imports them",
      severity: "error",
      from: { pathNot: "^(monitoring|local/docker)/" },
      to: { path: "^(monitoring|local/docker)/" },
    },

    // -- the browser bundle ------------------------------------------------------------------------
    {
      name: "web-imports-core-and-schemas-only",
      comment:
        "the dashboard may use @tickflow/core and the zod-only @tickflow/gateway/schemas and /stream-schema (today: the schemas, type-only in src/, in the contract test), nothing else of ours; its tests also @tickflow/test-support",
      severity: "error",
      from: { path: "^web/" },
      to: {
        path: `^${WORKSPACE}/`,
        pathNot: [
          "^web/",
          "^packages/core/src/index\\.ts$",
          "^packages/gateway/src/schemas\\.ts$",
          "^packages/gateway/src/stream-schema\\.ts$",
          "^packages/test-support/src/index\\.ts$",
        ],
      },
    },
    {
      name: "web-src-no-node",
      comment: "web/src is bundled for the browser: no Node builtin",
      severity: "error",
      from: { path: "^web/src/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "web-src-browser-packages",
      comment:
        "web/src imports React, TanStack Query, lightweight-charts, and types from zod and vite; add a browser package here on purpose",
      severity: "error",
      from: { path: "^web/src/" },
      to: {
        path: "(^|/)node_modules/",
        pathNot: "(^|/)node_modules/(react|react-dom|@tanstack/react-query|lightweight-charts|zod|vite)/",
      },
    },
    {
      name: "gateway-schemas-browser-safe",
      comment: "@tickflow/gateway/schemas is imported by the dashboard: zod and @tickflow/core only",
      severity: "error",
      from: { path: "^packages/gateway/src/schemas\\.ts$" },
      to: { pathNot: ["^packages/core/src/index\\.ts$", "(^|/)node_modules/zod/"] },
    },
    {
      name: "gateway-stream-schema-browser-safe",
      comment: "@tickflow/gateway/stream-schema is imported by the dashboard: zod and @tickflow/core only",
      severity: "error",
      from: { path: "^packages/gateway/src/stream-schema\\.ts$" },
      to: { pathNot: ["^packages/core/src/index\\.ts$", "(^|/)node_modules/zod/"] },
    },
    {
      name: "web-bundle-browser-safe",
      comment:
        "nothing Node, AWS or Kafka may reach the browser bundle (what web/src/main.tsx, vite's entry, reaches), directly or through another module",
      severity: "error",
      from: { path: "^web/src/main\\.tsx$" },
      to: {
        reachable: true,
        path: [
          NODE_BUILTIN,
          SERVER_ONLY_PACKAGES,
          "^local/",
          "^packages/(bus|metrics|runtime|read-side|market-data|strategy|projector|cli|test-support)/",
        ],
      },
    },

    // -- tests -------------------------------------------------------------------------------------
    {
      name: "test-support-in-tests-only",
      comment: "@tickflow/test-support is for test suites; no production code imports it",
      severity: "error",
      from: { path: PRODUCTION, pathNot: ["^packages/test-support/", ...PRODUCTION_NOT] },
      to: { path: "^packages/test-support/" },
    },
    {
      name: "no-test-code-in-src",
      comment: "production code never imports a test folder",
      severity: "error",
      from: { path: PRODUCTION, pathNot: PRODUCTION_NOT },
      to: { path: `^${AREA}/test/` },
    },
    {
      name: "tests-keep-to-their-own",
      comment:
        "a test imports its own area's tests, its package's src and other packages' public entries; what suites share goes into @tickflow/test-support",
      severity: "error",
      from: { path: `^${AREA}/` },
      to: { path: `^${AREA}/test/`, pathNot: "^$1/test/" },
    },

    // -- every import declared in the nearest package.json -----------------------------------------
    {
      name: "npm-dependency-declared",
      comment:
        "the package is installed (hoisted by the workspaces) but the nearest package.json does not declare it: add it with the version package-lock.json has",
      severity: "error",
      from: { pathNot: "(^|/)node_modules/" },
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "production-code-uses-dependencies",
      comment:
        "src/ and bin/ run in production images and Lambdas: what they import at run time belongs in dependencies, not devDependencies",
      severity: "error",
      from: { path: `^${WORKSPACE}/(src|bin)/` },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only", "triple-slash-type-reference"] },
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that resolves to no file: a missing package or a typo",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    ...workspaceDeclarations,
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: ["^(\\.build|\\.sst|\\.git|test-results|coverage|cdk\\.out)/", `^${WORKSPACE}/dist/`] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "default", "types"],
      mainFields: ["main", "types", "typings"],
      extensions: [".ts", ".tsx", ".d.ts", ".js", ".mjs", ".cjs"],
    },
  },
};
