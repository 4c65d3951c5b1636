import { defineConfig } from "vitest/config";

/** One root config; each package is a project so `vitest --project core` runs one room. */
export default defineConfig({
  test: {
    projects: [
      { test: { name: "core", include: ["packages/core/test/**/*.test.ts"] } },
      { test: { name: "cli", include: ["packages/cli/test/**/*.test.ts"], testTimeout: 60_000 } },
    ],
  },
});
