// Container healthcheck without curl or wget in the image: exits 0 when the URL answers 2xx.
// Usage: node healthcheck.mjs http://127.0.0.1:7001/health
const url = process.argv[2];
const timeout = AbortSignal.timeout(4_000);
try {
  const response = await fetch(url, { signal: timeout });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
