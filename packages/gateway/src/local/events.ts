import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { BusRecord } from "@tickflow/bus";
import type { APIGatewayProxyEventV2, Context, MSKEvent } from "aws-lambda";
import { GatewayError } from "../errors";
import type { DEFAULT_ROUTE_KEY, Route } from "../http/routes";

/**
 * Builders of what AWS hands a Lambda, from what this process has locally: a Node HTTP request
 * becomes an API Gateway HTTP API (payload 2.0) event, Kafka records become an MSK event-source
 * event, and each invocation gets a Lambda context. The handlers cannot tell the difference.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** requestContext.time: "12/Mar/2020:19:03:58 +0000". */
function requestTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** HTTP API decodes path and parameters before invoking; a malformed escape is passed on as it came. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The payload-2.0 event API Gateway sends for this request on this route (or on `$default`):
 * header names lower case, repeated headers and query parameters joined with commas, cookies in
 * `cookies`, and queryStringParameters / pathParameters left out when there are none.
 */
export function httpApiEvent(
  req: IncomingMessage,
  url: URL,
  route: Route | typeof DEFAULT_ROUTE_KEY,
  pathParameters: Record<string, string>,
  body?: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (name === "cookie") continue;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const cookies = req.headers.cookie?.split(/;\s*/).filter(Boolean);
  const now = new Date();
  const routeKey = typeof route === "string" ? route : `${route.method} ${route.path}`;
  const host = headers.host ?? "localhost";
  const rawPath = decode(url.pathname);
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0]!,
      http: {
        method: req.method ?? "GET",
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: requestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(pathParameters).length > 0
      ? { pathParameters: Object.fromEntries(Object.entries(pathParameters).map(([k, v]) => [k, decode(v)])) }
      : {}),
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

/** Java's signed bytes, as the event source writes header values. */
const headerBytes = (value: string) => Array.from(new Int8Array(Buffer.from(value, "utf8")));

/**
 * The MSK event-source event for records read from one topic partition: grouped under
 * "<topic>-<partition>", key and value base64, headers as [{ name: bytes }], offsets as numbers.
 */
export function mskEvent(
  records: readonly BusRecord[],
  topicName: string,
  source: { clusterArn: string; bootstrapServers: string },
): MSKEvent {
  const byPartition: MSKEvent["records"] = {};
  for (const r of records) {
    const list = (byPartition[`${topicName}-${r.partition}`] ??= []);
    list.push({
      topic: topicName,
      partition: r.partition,
      offset: Number(r.offset),
      timestamp: r.timestamp,
      timestampType: "CREATE_TIME",
      ...(r.key !== null ? { key: Buffer.from(r.key, "utf8").toString("base64") } : {}),
      ...(r.value !== null ? { value: r.value.toString("base64") } : {}),
      headers: Object.entries(r.headers).map(([name, value]) => ({ [name]: headerBytes(value) })),
    } as MSKEvent["records"][string][number]);
  }
  return {
    eventSource: "aws:kafka",
    eventSourceArn: source.clusterArn,
    bootstrapServers: source.bootstrapServers,
    records: byPartition,
  };
}

/** A Lambda context for a local invocation, with the deadline the real function would have. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new GatewayError("callback-style completion is not supported: return a value or a promise");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
