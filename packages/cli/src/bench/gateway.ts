import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { promisify } from "node:util";
import { MemoryBus } from "@tickflow/bus";
import { gatewayConfig, startLocalGateway } from "@tickflow/gateway";
import { marketDataConfig, startMarketData } from "@tickflow/market-data";
import { PrometheusMetrics } from "@tickflow/metrics";
import { pino } from "pino";

export interface HttpFigures {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface GatewayFigures {
  bare: HttpFigures;
  gateway: HttpFigures;
  /** gateway / bare requests per second */
  ratio: number;
  connections: number;
  seconds: number;
}

/** wrk's "Requests/sec" and the 50% and 99% lines of --latency, in ms. */
function parseWrk(name: string, output: string): HttpFigures {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const line = (pct: string) => {
    const m = new RegExp(`\\s${pct}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
    return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1_000 }[m[2] as "us" | "ms" | "s"] : null;
  };
  const p50 = line("50");
  const p99 = line("99");
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (!rps || p50 === null || p99 === null) throw new Error(`unexpected wrk output:\n${output}`);
  if (errors) throw new Error(`${name}: ${errors[1]} requests failed under load:\n${output}`);
  return { name, requestsPerSecond: Number(rps[1]), p50Ms: p50, p99Ms: p99 };
}

export async function wrk(name: string, url: string, connections: number, seconds: number): Promise<HttpFigures> {
  const { stdout } = await promisify(execFile)("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url]);
  return parseWrk(name, stdout);
}

/** The baseline server: node:http answering every request with `body` as JSON, nothing else. */
export async function bareServer(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * GET /api/quotes through the gateway's local adapter (payload-2.0 event, middy handler, upstream
 * call to market-data, schema validation), against a bare Node http server that returns the
 * same JSON, both loaded by wrk (Debian) in the same run on the same machine.
 */
export async function benchGateway(connections: number, seconds: number): Promise<GatewayFigures> {
  const logger = pino({ level: "silent" });
  const bus = new MemoryBus();
  const marketData = await startMarketData({
    config: marketDataConfig({ MD_HTTP_PORT: "0" }),
    bus,
    metrics: new PrometheusMetrics(),
    logger,
  });
  const gateway = await startLocalGateway({
    config: gatewayConfig({
      GATEWAY_PORT: "0",
      MARKET_DATA_URL: `http://127.0.0.1:${marketData.port}`,
      LOG_LEVEL: "silent",
    }),
    bus,
    metrics: new PrometheusMetrics(),
    logger,
  });
  await new Promise((r) => setTimeout(r, 500)); // a few ticks, so the board is full
  const bare = await bareServer(await (await fetch(`${gateway.url}/api/quotes`)).text());
  try {
    const bareFigures = await wrk("bare node:http, same JSON", bare.url, connections, seconds);
    const gatewayFigures = await wrk("gateway GET /api/quotes", `${gateway.url}/api/quotes`, connections, seconds);
    return {
      bare: bareFigures,
      gateway: gatewayFigures,
      ratio: gatewayFigures.requestsPerSecond / bareFigures.requestsPerSecond,
      connections,
      seconds,
    };
  } finally {
    await bare.close();
    await gateway.stop();
    await marketData.stop();
    await bus.close();
  }
}
