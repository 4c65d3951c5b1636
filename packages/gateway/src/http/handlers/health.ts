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

/**
 * GET /api/health: each worker's own health check, concurrently, and the state of the consumers
 * this process runs (from their last lag measurement: a health request never reads Kafka);
 * 503 (same body) unless all are up.
 */
export const health = defineEndpoint(
  "health",
  async ({ deps }) => {
    const dependencies = await Promise.all([check(deps.marketData), check(deps.strategy)]);
    const consumers = deps.consumers.map((c) => c.health());
    const up = dependencies.every((d) => d.status === "up") && consumers.every((c) => c.status === "up");
    return { status: up ? "up" : "down", dependencies, ...(consumers.length > 0 ? { consumers } : {}) };
  },
  { status: (body) => (body.status === "up" ? 200 : 503) },
);

export const handler = health.lambda();
