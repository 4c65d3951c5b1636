import { defineConfig } from "vitest/config";

/** One root config; each package is a project so `vitest --project core` runs one room. */
export default defineConfig({
  test: {
    projects: [
      { test: { name: "core", include: ["packages/core/test/**/*.test.ts"] } },
      {
        test: {
          name: "cli",
          include: ["packages/cli/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "metrics",
          include: ["packages/metrics/test/**/*.test.ts"],
          env: { AWS_EMF_ENVIRONMENT: "Local" },
        },
      },
      { test: { name: "runtime", include: ["packages/runtime/test/**/*.test.ts"], exclude: ["**/*.int.test.ts"] } },
      {
        test: {
          name: "market-data",
          include: ["packages/market-data/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts"],
        },
      },
      { test: { name: "strategy", include: ["packages/strategy/test/**/*.test.ts"], exclude: ["**/*.int.test.ts"] } },
      // a real PostgreSQL server (Debian's postgresql) and embedded PGlite: fails, never skips, without them
      {
        test: {
          name: "read-side",
          include: ["packages/read-side/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      { test: { name: "bus", include: ["packages/bus/test/**/*.test.ts"], exclude: ["**/*.int.test.ts"] } },
      {
        test: {
          name: "gateway",
          include: ["packages/gateway/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts"],
          // outside Lambda the EMF sink prints to stdout, where the tests read it
          env: { AWS_EMF_ENVIRONMENT: "Local" },
          // test files start both workers in process and run a few thousand ticks through them first
          hookTimeout: 90_000,
          testTimeout: 30_000,
        },
      },
      // promtool and a real Prometheus (Debian's package): tests fail, never skip, without them
      {
        test: {
          name: "monitoring",
          include: ["monitoring/**/*.test.ts"],
          exclude: ["**/*.int.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "stacks",
          include: ["stacks/test/**/*.test.ts"],
          // SST's App rewrites .sst/types while it synthesizes: one synthesis at a time
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      { test: { name: "compose", include: ["local/docker/test/**/*.test.ts"], testTimeout: 60_000 } },
      {
        test: {
          name: "web",
          include: ["web/test/**/*.test.{ts,tsx}"],
          exclude: ["**/*.int.test.ts"],
          environment: "happy-dom",
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "packages/*/test/**/*.int.test.ts",
            "web/test/**/*.int.test.ts",
            "monitoring/test/**/*.int.test.ts",
          ],
          globalSetup: ["packages/bus/test/broker-setup.ts"],
          // one broker, one suite at a time: fault tests restart workers and brokers
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
