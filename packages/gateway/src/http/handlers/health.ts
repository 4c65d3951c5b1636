import { NO_DATABASE_MESSAGE, ping, type ReadSide } from "@tickflow/read-side";
import { defineEndpoint } from "../endpoint";
import type { DependencyHealth } from "../../schemas";
import { UpstreamError, type Upstream } from "../../upstream";

async function check(upstream: Upstream): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    const { status, latencyMs } = await upstream.probe("/health");
    if (status === 200) return { name: upstream.name, status: "up", latencyMs };
    return {
      name: upstream.name,
      status: "down",
      latencyMs,
      detail: `${upstream.name} reports itself unhealthy (HTTP ${status} from /health)`,
    };
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    return {
      name: upstream.name,
      status: "down",
      latencyMs: Math.round(performance.now() - started),
      detail: error.message,
    };
  }
}

/** The read side's database: one trivial query within the upstream budget. */
async function checkDatabase(readSide: ReadSide | null, timeoutMs: number): Promise<DependencyHealth> {
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  if (!readSide) return { name: "database", status: "down", latencyMs: 0, detail: NO_DATABASE_MESSAGE };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping(readSide.db),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name: "database", status: "up", latencyMs: latencyMs() };
  } catch (error) {
    return {
      name: "database",
      status: "down",
      latencyMs: latencyMs(),
      // the driver's message may name hosts and users: only what kind of failure it was
      detail: `the read side's database did not answer (${(error as { code?: string }).code ?? (error instanceof Error && error.message.startsWith("no answer") ? error.message : "error")})`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /api/health: each worker's own health check and a query on the read side, concurrently, and the state of the consumers
 * this process runs (from their last lag measurement: a health request never reads Kafka);
 * 503 (same body) unless all are up.
 */
export const health = defineEndpoint(
  "health",
  async ({ deps }) => {
    const dependencies = await Promise.all([
      check(deps.marketData),
      check(deps.strategy),
      checkDatabase(deps.readSide, deps.config.UPSTREAM_TIMEOUT_MS),
    ]);
    const consumers = deps.consumers.map((c) => c.health());
    const up = dependencies.every((d) => d.status === "up") && consumers.every((c) => c.status === "up");
    return { status: up ? "up" : "down", dependencies, ...(consumers.length > 0 ? { consumers } : {}) };
  },
  { status: (body) => (body.status === "up" ? 200 : 503) },
);

export const handler = health.lambda();
