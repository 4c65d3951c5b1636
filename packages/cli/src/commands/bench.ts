import { parseArgs } from "node:util";
import { startKafka, stopKafka } from "@tickflow/local-kafka";
import { benchClients, type ClientFigures } from "../bench/clients";
import { benchCore, type CoreFigures } from "../bench/core";
import { benchGateway, type GatewayFigures } from "../bench/gateway";
import { benchOptimize, type OptimizeFigures } from "../bench/optimize";
import { benchReadSide, type ReadSideFigures } from "../bench/read-side";
import { benchScreen, SCREEN_P99_AIM_MS, type ScreenFigures } from "../bench/screen";
import { benchStream, P99_AIM_MS, type StreamFigures } from "../bench/stream";
import { benchWebBundle, type BundleFigures } from "../bench/web";
import {
  pipelineLatency,
  pipelineThroughput,
  tickRecordBytes,
  type PipelineLatency,
  type PipelineThroughput,
} from "../bench/pipeline";
import { producerPerformance, type ProducerPerformanceFigures } from "../bench/producer-performance";
import { UsageError } from "../errors";
import { formatNumber, table } from "../format";

const SUITES = ["core", "optimize", "pipeline", "clients", "gateway", "read-side", "stream", "screen", "web"] as const;
type Suite = (typeof SUITES)[number];

const BENCH_HELP = `Usage: tickflow bench [--only ${SUITES.join(",")}] [--quick] [--json]

Measures on this machine, each figure beside a baseline measured in the same run:
  core      ticks/s of the backtest path (simulator + bars + one strategy + paper broker +
            portfolio) against the simulator alone, on one thread
  optimize  tickflow optimize's parallel search: the same 12 backtests on one worker thread,
            then on two (the speed-up)
  pipeline  end-to-end ticks/s from market-data through Kafka to the strategy worker, against
            Kafka's own ProducerPerformance (same record size and count, same broker), and
            tick-to-fill latency p50/p99 at 1,000 and 5,000 ticks/s
  clients   kafkajs against @platformatic/kafka: produce and consume records/s on the same broker
  gateway   GET /api/quotes through the gateway under wrk (requests/s, p99) against a bare Node
            http server returning the same JSON
  read-side the projector's write path (rows/s) against bare batched INSERTs of the same rows
            into the same PostgreSQL, then /api/trades, /api/orders and /api/fills under wrk
            (p50/p99) with 1,000,000 fills in the tables, beside a bare Node server
  stream    concurrent clients of the gateway's /api/stream (100 to 1,000, all channels) at the
            full tick rate (7 symbols x 20 ticks/s, plus 20 order events/s): delivery latency
            p50/p99 (receive time - the event's tsEvent, set at publish) against a bare ws server
            sending the same messages, and the most clients with p99 under 100 ms
  screen    tick-to-screen latency p50/p99 (a quote's tsEvent to its paint on the dashboard's quotes
            board in Chromium) on the real platform (tickflow up), a page on the stream against a
            page polling (its WebSocket refused), at the same time
  web       the dashboard's production bundle, gzipped

The pipeline, clients and screen suites need a broker: KAFKA_BROKERS, else a local one the bench
starts (and stops) on port 19792. The screen suite also needs /usr/bin/chromium and the platform's
ports (7001-7003, 5433, 8000, 8080) free; it runs in topics and consumer groups of its own. --quick shortens every run (for smoke tests; figures get noisier).
`;

const BENCH_BROKER = { port: 19792, name: "bench" };

interface Report {
  core?: CoreFigures;
  optimize?: OptimizeFigures;
  pipeline?: {
    recordBytes: number;
    throughput: PipelineThroughput;
    producerPerformance: ProducerPerformanceFigures;
    ratio: number;
    latency: PipelineLatency[];
  };
  clients?: { recordBytes: number; records: number; figures: ClientFigures[] };
  gateway?: GatewayFigures;
  readSide?: ReadSideFigures;
  stream?: StreamFigures;
  screen?: ScreenFigures;
  web?: BundleFigures;
}

export async function bench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      only: { type: "string", default: SUITES.join(",") },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return 0;
  }
  const only = values.only.split(",").map((s) => s.trim()) as Suite[];
  const unknown = only.filter((s) => !SUITES.includes(s));
  if (unknown.length > 0)
    throw new UsageError(`--only: unknown suite ${unknown.join(", ")}; suites: ${SUITES.join(", ")}`);
  const quick = values.quick;
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const report: Report = {};

  if (only.includes("core")) {
    log("core");
    report.core = benchCore(quick ? 200_000 : 2_000_000, quick ? 2 : 5);
  }
  if (only.includes("optimize")) {
    log("optimize: 1 and 2 worker threads");
    // a million ticks per backtest (14 hours of 50 ms quotes): a search's work, not its thread start-up
    report.optimize = await benchOptimize(quick ? 100_000 : 1_000_000);
  }
  if (only.includes("pipeline") || only.includes("clients") || only.includes("screen")) {
    let brokers = process.env.KAFKA_BROKERS ?? null;
    let started = false;
    if (!brokers) {
      const broker = await startKafka(BENCH_BROKER);
      brokers = broker.brokers;
      started = broker.started;
    }
    try {
      const recordBytes = tickRecordBytes();
      if (only.includes("pipeline")) {
        const ticks = quick ? 20_000 : 200_000;
        log(`pipeline throughput (${formatNumber(ticks)} ticks)`);
        const throughput = await pipelineThroughput(brokers, ticks);
        log("ProducerPerformance baseline");
        const baseline = await producerPerformance(brokers.split(","), ticks, recordBytes);
        const latency: PipelineLatency[] = [];
        for (const rate of [1_000, 5_000]) {
          log(`tick-to-fill latency at ${formatNumber(rate)} ticks/s`);
          latency.push(await pipelineLatency(brokers, rate, quick ? 5_000 : 30_000));
        }
        report.pipeline = {
          recordBytes,
          throughput,
          producerPerformance: baseline,
          ratio: throughput.ticksPerSecond / baseline.recordsPerSecond,
          latency,
        };
      }
      if (only.includes("clients")) {
        const records = quick ? 20_000 : 200_000;
        log(`clients (${formatNumber(records)} records of ${recordBytes} bytes)`);
        report.clients = {
          recordBytes,
          records,
          figures: await benchClients(brokers.split(","), records, recordBytes, quick ? 1 : 3),
        };
      }
      if (only.includes("screen")) report.screen = await benchScreen({ brokers, windowSeconds: quick ? 8 : 30, log });
    } finally {
      if (started) await stopKafka(BENCH_BROKER);
    }
  }

  if (only.includes("gateway")) {
    log("gateway under wrk");
    report.gateway = await benchGateway(32, quick ? 3 : 10);
  }
  if (only.includes("read-side")) {
    report.readSide = await benchReadSide({
      rows: quick ? 20_000 : 200_000,
      batchSize: 500,
      fillsInTable: quick ? 100_000 : 1_000_000,
      connections: 32,
      seconds: quick ? 3 : 10,
      log,
    });
  }
  if (only.includes("stream")) {
    report.stream = await benchStream({
      clientCounts: quick ? [100, 250] : [100, 250, 500, 1_000],
      windowSeconds: quick ? 3 : 10,
      log,
    });
  }
  if (only.includes("web")) {
    log("web bundle");
    report.web = await benchWebBundle();
  }

  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
  return 0;
}

const rate = (x: number) => Math.round(x);

function render(report: Report): string {
  const out: string[] = [];
  if (report.core) {
    const c = report.core;
    out.push(
      "Core (one thread, median of runs)",
      table(
        ["path", "ticks/s"],
        [
          ["simulator alone (baseline)", rate(c.baselineTicksPerSecond)],
          ["backtest path", rate(c.backtestTicksPerSecond)],
        ],
      ),
      `ratio backtest / baseline: ${c.ratio.toFixed(3)}`,
      "",
    );
  }
  if (report.optimize) {
    const o = report.optimize;
    out.push(
      `Optimize (${o.backtests} backtests of ${formatNumber(o.ticksPerBacktest)} ticks on worker threads)`,
      table(
        ["workers", "seconds"],
        [
          ["1", o.oneWorkerSeconds.toFixed(2)],
          ["2", o.twoWorkersSeconds.toFixed(2)],
        ],
      ),
      `speed-up 1 -> 2 workers: ${o.speedup.toFixed(2)}x (starting a thread takes ${o.threadStartSeconds.toFixed(2)} s of each: tsx compiles the sources in every thread)`,
      "",
    );
  }
  if (report.pipeline) {
    const p = report.pipeline;
    out.push(
      `Pipeline (market-data -> Kafka -> strategy, ${p.recordBytes}-byte records)`,
      table(
        ["path", "records/s"],
        [
          ["Kafka ProducerPerformance (baseline)", rate(p.producerPerformance.recordsPerSecond)],
          ["pipeline, publish to processed", rate(p.throughput.ticksPerSecond)],
        ],
      ),
      `ratio pipeline / ProducerPerformance: ${p.ratio.toFixed(3)}`,
      "",
      "Tick-to-fill latency (tick tsEvent to committed fill at a read_committed consumer)",
      table(
        ["ticks/s", "fills", "p50 ms", "p99 ms"],
        p.latency.map((l) => [l.ticksPerSecond, l.fills, l.p50Ms, l.p99Ms]),
      ),
      "",
    );
  }
  if (report.clients) {
    const base = report.clients.figures[0]!;
    out.push(
      `Kafka clients (${formatNumber(report.clients.records)} records of ${report.clients.recordBytes} bytes, idempotent acks=all, median)`,
      table(
        ["client", "produce/s", "consume/s", "produce ratio", "consume ratio"],
        report.clients.figures.map((f) => [
          f.client,
          rate(f.produceRecordsPerSecond),
          rate(f.consumeRecordsPerSecond),
          (f.produceRecordsPerSecond / base.produceRecordsPerSecond).toFixed(2),
          (f.consumeRecordsPerSecond / base.consumeRecordsPerSecond).toFixed(2),
        ]),
      ),
      "",
    );
  }
  if (report.gateway) {
    const g = report.gateway;
    out.push(
      `Gateway (wrk, ${g.connections} connections, ${g.seconds} s each)`,
      table(
        ["server", "requests/s", "p99 ms"],
        [g.bare, g.gateway].map((f) => [f.name, Math.round(f.requestsPerSecond), f.p99Ms]),
      ),
      `ratio gateway / bare: ${g.ratio.toFixed(3)}`,
      "",
    );
  }
  if (report.readSide) {
    const r = report.readSide;
    out.push(
      `Read side (${r.database}; ${formatNumber(r.rows)} rows from fills, batches of ${r.batchSize})`,
      table(
        ["path", "rows/s"],
        [
          ["bare batched INSERT, same rows (baseline)", rate(r.bareRowsPerSecond)],
          ["projector write path (offsets, idempotent rows, order fold)", rate(r.projectorRowsPerSecond)],
        ],
      ),
      `ratio projector / bare: ${r.ratio.toFixed(3)}`,
      "",
      `History routes (wrk, 32 connections, ${formatNumber(r.fillsInTable)} fills and orders in the tables)`,
      table(
        ["server", "requests/s", "p50 ms", "p99 ms"],
        [r.bare, ...r.routes].map((f) => [f.name, Math.round(f.requestsPerSecond), f.p50Ms, f.p99Ms]),
      ),
      "",
    );
  }
  if (report.stream) {
    const s = report.stream;
    const ms = (x: number) => (Number.isNaN(x) ? "-" : String(Math.round(x)));
    const byClients = new Map(s.runs.filter((r) => r.server === "bare ws").map((r) => [r.clients, r]));
    out.push(
      `Stream clients (${s.symbols} symbols x ${s.ticksPerSecond} ticks/s + ${s.orderEventsPerSecond} order events/s, all channels, ${s.windowSeconds} s window; latency = receive - tsEvent set at publish, clients on one worker thread)`,
      table(
        [
          "server",
          "clients",
          "quotes/s/client",
          "quote p50 ms",
          "quote p99 ms",
          "quote samples",
          "event p50 ms",
          "event p99 ms",
          "event samples",
          "cut",
          "p99 ratio q/e",
        ],
        s.runs.map((r) => {
          const base = byClients.get(r.clients);
          const ratio = (a: number, b: number | undefined) => (b ? (a / b).toFixed(2) : "-");
          const cut =
            r.failed + (r.clients - r.failed - r.open) > 0
              ? `${r.failed} failed, ${r.clients - r.failed - r.open} closed ${JSON.stringify(r.closes)}`
              : "0";
          return [
            r.server,
            r.clients,
            r.quotesPerClientPerSecond.toFixed(1),
            ms(r.quotes.p50Ms),
            ms(r.quotes.p99Ms),
            r.quotes.samples,
            ms(r.events.p50Ms),
            ms(r.events.p99Ms),
            `${r.events.samples} of ${r.expectedEvents}`,
            cut,
            r.server === "bare ws"
              ? "1 / 1"
              : `${ratio(r.quotes.p99Ms, base?.quotes.p99Ms)} / ${ratio(r.events.p99Ms, base?.events.p99Ms)}`,
          ];
        }),
      ),
      `most gateway clients with p99 under ${P99_AIM_MS} ms (quotes and events, none lost or cut): ${s.largestUnderAim ?? "none"} (aim: 1,000)`,
      "gateway quotes are conflated to STREAM_QUOTES_PER_SECOND (10) per symbol: a quote within 100 ms of the last one sent waits, which is in its latency; the baseline sends every second quote of a symbol at once instead",
      "",
    );
  }
  if (report.screen) {
    const s = report.screen;
    const ms = (x: number) => (Number.isNaN(x) ? "-" : String(Math.round(x)));
    out.push(
      `Tick-to-screen (quote tsEvent to its paint on the quotes board in Chromium, tickflow up, ${s.symbols} symbols, both pages at once, ${Math.round(s.windowSeconds)} s window)`,
      table(
        ["page", "p50 ms", "p99 ms", "max ms", "samples", "renders/s/symbol", "GET /api/quotes/s"],
        [s.stream, s.polling].map((p) => [
          p.mode === "stream" ? "stream (live)" : "polling (WebSocket refused)",
          ms(p.latency.p50Ms),
          ms(p.latency.p99Ms),
          ms(p.latency.maxMs),
          p.latency.samples,
          p.rendersPerSymbolPerSecond.toFixed(1),
          p.quoteRequestsPerSecond.toFixed(1),
        ]),
      ),
      `ratio polling / stream p99: ${s.p99Ratio.toFixed(2)}`,
      `aim p99 tick-to-screen on the stream under ${SCREEN_P99_AIM_MS} ms: ${s.meetsAim ? "met" : "not met"}`,
      "the stream's quotes are conflated to STREAM_QUOTES_PER_SECOND (10) per symbol; the polling page gets one quote per symbol a poll (about 1 s)",
      "",
    );
  }
  if (report.web) {
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
    out.push(
      `Web bundle (gzip): JS ${kb(report.web.jsGzipBytes)}, CSS ${kb(report.web.cssGzipBytes)}, total ${kb(report.web.totalGzipBytes)}`,
      "",
    );
  }
  return `${out.join("\n")}`;
}
