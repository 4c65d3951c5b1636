import { MemoryBus, topicName } from "@tickflow/bus";
import type { DomainEvent, OrderFilled } from "@tickflow/core";
import { gatewayConfig, startLocalGateway } from "@tickflow/gateway";
import { PrometheusMetrics } from "@tickflow/metrics";
import { applyBatch, migrate, openDatabase, sql, type ReadSideDb } from "@tickflow/read-side";
import { serveEmbeddedDatabase, startLocalPostgres } from "@tickflow/read-side/local";
import { pino } from "pino";
import { bareServer, wrk, type HttpFigures } from "./gateway";

export interface ReadSideFigures {
  database: string;
  /** The projector's write path: applyBatch (offsets check, rows, order fold, offsets) per partition batch. */
  projectorRowsPerSecond: number;
  /** The same rows as bare multi-row INSERTs, one transaction per batch: the baseline. */
  bareRowsPerSecond: number;
  ratio: number;
  rows: number;
  batchSize: number;
  /** History routes under wrk with `fillsInTable` fills (and as many orders) in the tables. */
  fillsInTable: number;
  routes: HttpFigures[];
  bare: HttpFigures;
}

const STRATEGIES = ["s1", "s2", "s3"];
const SYMBOLS = ["AAPL", "MSFT", "BTC-USD", "ETH-USD", "EUR-USD", "GBP-USD"];

function fillEvent(n: number): DomainEvent {
  const strategyId = STRATEGIES[n % STRATEGIES.length]!;
  const symbol = SYMBOLS[n % SYMBOLS.length]!;
  const data: OrderFilled = {
    orderId: `${strategyId}:${symbol}:${n}`,
    strategyId,
    symbol,
    side: n % 2 === 0 ? "buy" : "sell",
    tsEvent: 1_700_000_000_000 + n,
    tsInit: 1_700_000_000_000 + n,
    fillNo: 1,
    quantity: 10,
    price: 100 + (n % 1_000) / 100,
    liquidity: "taker",
    fee: 0.02,
    realizedPnl: 0,
    cumulativeQuantity: 10,
    leavesQuantity: 0,
    averagePrice: 100 + (n % 1_000) / 100,
    quoteSeq: n,
  };
  return { type: "order.filled", id: `${data.orderId}:filled:1`, ts: data.tsEvent, data };
}

async function fresh(db: ReadSideDb): Promise<void> {
  await sql`drop schema public cascade`.execute(db);
  await sql`create schema public`.execute(db);
  await migrate(db);
}

/** Rows/s of the projector's write path for `rows` fills in batches, against bare INSERTs of the same rows. */
async function writeRates(db: ReadSideDb, fills: number, batchSize: number) {
  const events = Array.from({ length: fills }, (_, i) => fillEvent(i));
  await fresh(db);
  let written = 0;
  let started = performance.now();
  for (let i = 0; i < fills; i += batchSize) {
    const result = await applyBatch(db, {
      groupId: "bench",
      topic: topicName("orders"),
      partition: 0,
      records: events.slice(i, i + batchSize).map((event, j) => ({ offset: String(i + j), event })),
    });
    written += Object.values(result.rows).reduce((a, b) => a + b, 0);
  }
  const projectorRowsPerSecond = written / ((performance.now() - started) / 1_000);

  // the baseline: the same three rows per fill (order event, fill, order), inserted as they are
  await fresh(db);
  started = performance.now();
  for (let i = 0; i < fills; i += batchSize) {
    const part = events.slice(i, i + batchSize).map((e) => e.data as OrderFilled);
    const base = (f: OrderFilled, id: string) => ({
      id,
      strategy_id: f.strategyId,
      symbol: f.symbol,
      ts_event: f.tsEvent,
      data: JSON.stringify(f),
    });
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("order_events")
        .values(part.map((f) => ({ ...base(f, `${f.orderId}:filled:1`), order_id: f.orderId, type: "order.filled" })))
        .execute();
      await trx
        .insertInto("fills")
        .values(part.map((f) => ({ ...base(f, `${f.orderId}:filled:1`), order_id: f.orderId, side: f.side })))
        .execute();
      await trx
        .insertInto("orders")
        .values(
          part.map((f) => ({
            order_id: f.orderId,
            strategy_id: f.strategyId,
            symbol: f.symbol,
            side: f.side,
            status: "filled" as const,
            filled_quantity: f.cumulativeQuantity,
            average_price: f.averagePrice,
            updated_at: f.tsEvent,
          })),
        )
        .execute();
    });
  }
  const bareRowsPerSecond = (fills * 3) / ((performance.now() - started) / 1_000);
  return { projectorRowsPerSecond, bareRowsPerSecond, rows: written };
}

/** Fills, orders, trades and equity samples in bulk, in the database itself (generate_series), for the route figures. */
async function load(db: ReadSideDb, fills: number): Promise<void> {
  await fresh(db);
  const strategy = sql`(array['s1','s2','s3'])[1 + n % 3]`;
  const symbol = sql`(array['AAPL','MSFT','BTC-USD','ETH-USD','EUR-USD','GBP-USD'])[1 + n % 6]`;
  const order = sql`${strategy} || ':' || ${symbol} || ':' || n`;
  const ts = sql`1700000000000 + n`;
  await sql`
    insert into fills (id, strategy_id, symbol, ts_event, order_id, side, data)
    select ${order} || ':filled:1', ${strategy}, ${symbol}, ${ts}, ${order}, case when n % 2 = 0 then 'buy' else 'sell' end,
      jsonb_build_object('orderId', ${order}, 'strategyId', ${strategy}, 'symbol', ${symbol},
        'side', case when n % 2 = 0 then 'buy' else 'sell' end, 'tsEvent', ${ts}, 'tsInit', ${ts}, 'fillNo', 1,
        'quantity', 10, 'price', 100 + (n % 1000) / 100.0, 'liquidity', 'taker', 'fee', 0.02, 'realizedPnl', 0,
        'cumulativeQuantity', 10, 'leavesQuantity', 0, 'averagePrice', 100 + (n % 1000) / 100.0, 'quoteSeq', n)
    from generate_series(1, ${fills}) as n`.execute(db);
  await sql`
    insert into orders (order_id, strategy_id, symbol, side, type, time_in_force, quantity, status, filled_quantity,
      average_price, signal_id, submitted_at, updated_at)
    select ${order}, ${strategy}, ${symbol}, case when n % 2 = 0 then 'buy' else 'sell' end, 'market', 'GTC', 10,
      case when n % 10 = 0 then 'canceled' else 'filled' end, 10, 100 + (n % 1000) / 100.0, 'signal', ${ts}, ${ts}
    from generate_series(1, ${fills}) as n`.execute(db);
  await sql`
    insert into trades (id, strategy_id, symbol, ts_event, side, data)
    select ${strategy} || ':' || ${symbol} || ':trade:' || n, ${strategy}, ${symbol}, ${ts},
      case when n % 2 = 0 then 'long' else 'short' end,
      jsonb_build_object('tradeId', ${strategy} || ':' || ${symbol} || ':trade:' || n, 'strategyId', ${strategy},
        'symbol', ${symbol}, 'side', case when n % 2 = 0 then 'long' else 'short' end, 'quantity', 10,
        'entryPrice', 100, 'exitPrice', 101, 'entryTs', ${ts} - 60000, 'exitTs', ${ts}, 'holdingMs', 60000,
        'grossPnl', 10, 'fees', 0.04, 'netPnl', 9.96, 'maxAdverseExcursion', -1, 'maxFavorableExcursion', 12,
        'tsEvent', ${ts}, 'tsInit', ${ts})
    from generate_series(1, ${Math.floor(fills / 2)}) as n`.execute(db);
  for (const s of STRATEGIES)
    await sql`insert into equity_points (strategy_id, ts_event, data) values (${s}, 1, '{}'::jsonb)`.execute(db);
  await sql`analyze`.execute(db);
}

/**
 * The read side on this machine's PostgreSQL (Debian's server; PGlite when there is none):
 * the projector's write rate against bare INSERTs of the same rows, then /api/trades and
 * /api/orders under wrk with `fillsInTable` fills in the tables, beside a bare Node server
 * answering the same JSON.
 */
export async function benchReadSide(options: {
  rows: number;
  batchSize: number;
  fillsInTable: number;
  connections: number;
  seconds: number;
  log: (line: string) => void;
}): Promise<ReadSideFigures> {
  let server: { url: string; close(): Promise<void> };
  let database: string;
  try {
    const pg = await startLocalPostgres();
    server = { url: pg.url, close: () => pg.destroy() };
    database = "PostgreSQL server (local, fsync off)";
  } catch {
    const embedded = await serveEmbeddedDatabase({});
    server = { url: embedded.url, close: () => embedded.close() };
    database = "embedded PGlite (no PostgreSQL server here)";
  }
  const db = openDatabase({ kind: "postgres", url: server.url }, { maxConnections: 4 });
  const bus = new MemoryBus();
  try {
    options.log(`read side: projector write path, ${options.rows} fills in batches of ${options.batchSize}`);
    const rates = await writeRates(db, options.rows, options.batchSize);
    options.log(`read side: loading ${options.fillsInTable} fills and orders`);
    await load(db, options.fillsInTable);
    const gateway = await startLocalGateway({
      config: gatewayConfig({ GATEWAY_PORT: "0", DATABASE_URL: server.url, LOG_LEVEL: "silent" }),
      bus,
      metrics: new PrometheusMetrics(),
      logger: pino({ level: "silent" }),
    });
    const bare = await bareServer(await (await fetch(`${gateway.url}/api/trades?limit=100`)).text());
    try {
      const bareFigures = await wrk(
        "bare node:http, same JSON as /api/trades",
        bare.url,
        options.connections,
        options.seconds,
      );
      const routes: HttpFigures[] = [];
      for (const path of [
        "/api/trades?limit=100",
        "/api/orders?limit=100",
        "/api/orders?strategy=s2&status=canceled&limit=100",
        "/api/fills?symbol=BTC-USD&side=buy&limit=100",
      ]) {
        options.log(`read side: wrk ${path}`);
        routes.push(await wrk(`gateway GET ${path}`, `${gateway.url}${path}`, options.connections, options.seconds));
      }
      return {
        database,
        ...rates,
        ratio: rates.projectorRowsPerSecond / rates.bareRowsPerSecond,
        batchSize: options.batchSize,
        fillsInTable: options.fillsInTable,
        routes,
        bare: bareFigures,
      };
    } finally {
      await bare.close();
      await gateway.stop();
    }
  } finally {
    await bus.close();
    await db.destroy();
    await server.close();
  }
}
