// Bundles one Node entry point (and every dependency it imports) into a single ESM file for a
// runtime image that needs no node_modules: smaller, no dev dependencies, no install at start.
// Usage: node local/docker/bundle.mjs <entry.ts> <out.mjs>
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error("usage: node local/docker/bundle.mjs <entry.ts> <out.mjs>");
  process.exit(2);
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  legalComments: "none",
  // CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own
  banner: {
    js: "import { createRequire as __tickflowCreateRequire } from 'node:module'; const require = __tickflowCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
