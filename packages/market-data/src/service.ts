import { encodeEvent, readEvents, routeEvent, type Bus, type Publisher } from "@tickflow/bus";
import {
  ConfigError,
  DEFAULT_UNIVERSE,
  midPrice,
  QuoteGuard,
  QuoteGuardConfigSchema,
  Universe,
  type GuardedSymbol,
  type InstrumentView,
  type QuoteDetailView,
  type QuoteTick,
  type QuoteView,
} from "@tickflow/core";
import { type Metrics } from "@tickflow/metrics";
import { HttpProblem, queryLimit, startServiceHttp } from "@tickflow/runtime";
import type { Logger } from "pino";
import type { MarketDataConfig } from "./config";
import { ReplayFeed, SimulatedFeed, type TickFeed } from "./feed";
import { QuoteBook } from "./quote-book";

export const SERVICE = "market-data";

export interface MarketDataDeps {
  config: MarketDataConfig;
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
  /** Lines of the replay file, when MD_REPLAY_FILE is set (main.ts reads it as they are consumed). */
  replayLines?: Iterable<string>;
  /** The instruments: the default universe, merged with MD_INSTRUMENTS_FILE's (main.ts reads it). */
  universe?: Universe;
  /** Wall clock; tests inject their own. */
  now?: () => number;
}

export interface MarketDataService {
  port: number;
  /** Settles with the publish loop: resolves on stop(), rejects when publishing fails for good. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Ticks kept per partition when resuming: enough to find every symbol's last tick. */
const RESUME_TAIL = 1_000;

/**
 * The market-data worker: simulates (or replays) quotes, publishes them to md.quotes.v1 keyed
 * by symbol through an idempotent producer, and serves the latest quotes over HTTP.
 */
export async function startMarketData(deps: MarketDataDeps): Promise<MarketDataService> {
  const { config, bus, metrics, logger } = deps;
  const now = deps.now ?? Date.now;
  const universe = deps.universe ?? new Universe(DEFAULT_UNIVERSE);
  const unknown = config.MD_SYMBOLS.filter((s) => !universe.has(s));
  if (unknown.length > 0)
    throw new ConfigError(`MD_SYMBOLS: unknown ${unknown.join(", ")}; valid symbols: ${universe.symbols.join(", ")}`);
  const book = new QuoteBook(universe, config.MD_HISTORY);
  const feed: TickFeed =
    config.MD_REPLAY_FILE && deps.replayLines
      ? new ReplayFeed(deps.replayLines, universe, config.MD_REPLAY_SPEED, {
          source: config.MD_REPLAY_FILE,
          ...(config.MD_REPLAY_FORMAT ? { format: config.MD_REPLAY_FORMAT } : {}),
        })
      : new SimulatedFeed(config, universe);
  const lastPublished = new Map<string, number>();
  let published = 0;
  let lastPublishAt = 0;
  let exhausted = false;
  let running = true;

  await bus.ensureTopics();
  // Resume: continue each symbol's seq after the last tick on Kafka, never repeating one. The
  // tail is screened as the strategy worker screens it, so a forged record (an unknown symbol, a
  // seq jump, an absurd price) cannot move where this feed resumes; it is the strategy worker's
  // to dead-letter, not ours.
  const lastBySymbol = new Map<string, QuoteTick>();
  const guard = new QuoteGuard(QuoteGuardConfigSchema.parse({}));
  const screened = new Map<string, GuardedSymbol>();
  const resumedAt = now();
  for (const { record, event } of await readEvents(bus, "quotes", RESUME_TAIL, ["quote.tick"])) {
    if (event.type !== "quote.tick" || record.key !== event.data.symbol || !universe.has(event.data.symbol)) continue;
    const tick = event.data;
    let state = screened.get(tick.symbol);
    if (!state) screened.set(tick.symbol, (state = { lastSeq: 0, bidUnits: 0, askUnits: 0, bandRun: null }));
    if (guard.admit(tick, universe.get(tick.symbol), state, resumedAt).kind !== "accept") continue;
    book.add(tick);
    lastBySymbol.set(tick.symbol, tick);
  }
  for (const last of lastBySymbol.values()) feed.resume(last);
  if (lastBySymbol.size > 0)
    logger.info(
      { resumed: Object.fromEntries([...lastBySymbol].map(([s, t]) => [s, t.seq])) },
      "resuming after the last ticks on Kafka",
    );

  // publishing within the last 5 s (or done, or not started yet) is healthy; a stalled broker is not
  const health = () => {
    const age = lastPublishAt === 0 ? null : now() - lastPublishAt;
    const ok = exhausted || (age !== null && age < 5_000) || (published === 0 && running);
    return {
      ok,
      service: SERVICE,
      bus: bus.description,
      ticksPublished: published,
      lastPublishAgeMs: age,
      feed: exhausted ? "exhausted" : "running",
    };
  };
  metrics.onCollect(() => {
    const t = now();
    metrics.set("tickflow_up", {}, health().ok ? 1 : 0);
    for (const [symbol, at] of lastPublished)
      metrics.set("tickflow_last_tick_age_seconds", { symbol }, (t - at) / 1_000);
  });

  const publisher: Publisher = await bus.publisher();
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async () => {
    const intervalMs = config.MD_TICKS_PER_SECOND > 0 ? 1_000 / config.MD_TICKS_PER_SECOND : 0;
    while (running) {
      const started = now();
      const ticks = feed.next(started);
      if (ticks === null) {
        if (!exhausted) logger.info({ published }, "feed exhausted; serving the last quotes");
        exhausted = true;
        break;
      }
      if (ticks.length > 0) {
        const records = ticks.map((tick) => {
          const event = { type: "quote.tick" as const, id: `${tick.symbol}:${tick.seq}`, ts: tick.tsEvent, data: tick };
          return { ...routeEvent(event), value: encodeEvent(event, SERVICE) };
        });
        const t0 = process.hrtime.bigint();
        await publisher.publish(records);
        metrics.observe(
          "tickflow_publish_duration_seconds",
          { topic: bus.topicName("quotes") },
          Number(process.hrtime.bigint() - t0) / 1e9,
        );
        const at = now();
        lastPublishAt = at;
        for (const tick of ticks) {
          book.add(tick);
          lastPublished.set(tick.symbol, at);
          metrics.inc("tickflow_ticks_published_total", { symbol: tick.symbol });
        }
        for (const symbol of new Set(ticks.map((t) => t.symbol))) {
          const tick = book.latest(symbol)!;
          metrics.set("tickflow_last_price", { symbol }, midPrice(tick, universe.get(symbol).priceScale));
        }
        published += ticks.length;
      }
      const wait = intervalMs === 0 ? 0 : Math.max(0, intervalMs - (now() - started));
      if (wait > 0) await sleep(wait);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const done = loop();

  const http = await startServiceHttp({
    port: config.MD_HTTP_PORT,
    host: config.MD_HTTP_HOST,
    metrics,
    onError: (error, request) => logger.error({ err: error, path: request.path }, "request failed"),
    health: async () => health(),
    // each answer is typed with its read view (core's views.ts), the schema the gateway parses it with
    routes: [
      {
        method: "GET",
        path: "/instruments",
        query: [],
        handle: () => ({ status: 200, body: universe.instruments satisfies readonly InstrumentView[] }),
      },
      {
        method: "GET",
        path: "/quotes",
        query: [],
        handle: () => ({ status: 200, body: book.views() satisfies QuoteView[] }),
      },
      {
        method: "GET",
        path: "/quotes/{symbol}",
        query: ["limit"],
        handle: ({ params, query }) => {
          if (!universe.has(params.symbol!))
            throw new HttpProblem(404, "unknown-symbol", `unknown symbol ${params.symbol}`);
          const limit = queryLimit(query, 100, config.MD_HISTORY);
          return {
            status: 200,
            body: {
              quote: book.view(params.symbol!),
              history: book.history(params.symbol!, limit),
            } satisfies QuoteDetailView,
          };
        },
      },
    ],
  });
  logger.info(
    {
      port: http.port,
      bus: bus.description,
      symbols: config.MD_SYMBOLS,
      ticksPerSecond: config.MD_TICKS_PER_SECOND,
      clock: config.MD_CLOCK,
    },
    "market-data started",
  );

  return {
    port: http.port,
    done,
    stop: async () => {
      running = false;
      (wake as (() => void) | null)?.();
      await done.catch(() => {});
      await publisher.close();
      await http.close();
      logger.info({ published }, "market-data stopped");
    },
  };
}
