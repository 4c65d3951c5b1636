import { ConfigError } from "@tickflow/core";
import { describe, expect, it } from "vitest";
import { gatewayConfig } from "../src/config";

describe("gatewayConfig", () => {
  it("defaults to the local ports and the dashboard's origins", () => {
    expect(gatewayConfig({})).toEqual({
      MARKET_DATA_URL: "http://127.0.0.1:7001",
      STRATEGY_URL: "http://127.0.0.1:7002",
      UPSTREAM_TIMEOUT_MS: 2000,
      CORS_ORIGINS: ["http://localhost:8080", "http://127.0.0.1:8080"],
      GATEWAY_PORT: 8000,
      GATEWAY_HOST: "127.0.0.1",
      KAFKA_REPORT_BATCH_ITEM_FAILURES: false,
      ALERTS_GROUP_ID: "tickflow-gateway-alerts",
      LOG_LEVEL: "info",
      DATABASE_NAME: "tickflow",
      AUTH_TOKEN_TTL_SECONDS: 3600,
      AUTH_READS: "open",
      STREAM_GROUP_ID: "tickflow-gateway-stream",
      STREAM_QUOTES_PER_SECOND: 10,
      STREAM_BUFFER_MESSAGES: 10_000,
      STREAM_MAX_BUFFERED_BYTES: 4 * 1024 * 1024,
      STREAM_HEARTBEAT_MS: 15_000,
    });
  });

  it("bounds the stream's settings", () => {
    expect(() => gatewayConfig({ STREAM_QUOTES_PER_SECOND: "0" })).toThrow(/STREAM_QUOTES_PER_SECOND/);
    expect(() => gatewayConfig({ STREAM_BUFFER_MESSAGES: "many" })).toThrow(/STREAM_BUFFER_MESSAGES/);
    expect(() => gatewayConfig({ STREAM_HEARTBEAT_MS: "10" })).toThrow(/STREAM_HEARTBEAT_MS/);
    expect(gatewayConfig({ STREAM_QUOTES_PER_SECOND: "4" }).STREAM_QUOTES_PER_SECOND).toBe(4);
  });

  it("takes the read side's database as a URL or as the Data API's cluster and secret, and refuses anything else", () => {
    expect(gatewayConfig({ DATABASE_URL: "postgres://u:p@db:5432/tickflow" }).DATABASE_URL).toBe(
      "postgres://u:p@db:5432/tickflow",
    );
    const aws = gatewayConfig({
      DATABASE_CLUSTER_ARN: "arn:aws:rds:us-east-1:123456789012:cluster:tickflow",
      DATABASE_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:tickflow-AbCdEf",
    });
    expect(aws.DATABASE_CLUSTER_ARN).toBe("arn:aws:rds:us-east-1:123456789012:cluster:tickflow");
    expect(() => gatewayConfig({ DATABASE_URL: "mysql://db/tickflow" })).toThrow(/DATABASE_URL.*postgres:\/\//);
    expect(() => gatewayConfig({ DATABASE_CLUSTER_ARN: "tickflow" })).toThrow(/DATABASE_CLUSTER_ARN.*RDS cluster ARN/);
  });

  it("takes URLs without their trailing slash, origin lists and an SNS topic", () => {
    const config = gatewayConfig({
      MARKET_DATA_URL: "http://md.internal:7001/",
      CORS_ORIGINS: " https://app.tickflow.dev , http://localhost:5173 ",
      ALERTS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:tickflow-alerts",
      UPSTREAM_TIMEOUT_MS: "750",
    });

    expect(config.MARKET_DATA_URL).toBe("http://md.internal:7001");
    expect(config.CORS_ORIGINS).toEqual(["https://app.tickflow.dev", "http://localhost:5173"]);
    expect(config.ALERTS_TOPIC_ARN).toBe("arn:aws:sns:eu-west-1:123456789012:tickflow-alerts");
    expect(config.UPSTREAM_TIMEOUT_MS).toBe(750);
  });

  it("treats an empty variable as unset", () => {
    expect(gatewayConfig({ ALERTS_TOPIC_ARN: "", GATEWAY_PORT: " " })).toMatchObject({ GATEWAY_PORT: 8000 });
    expect(gatewayConfig({ ALERTS_TOPIC_ARN: "" }).ALERTS_TOPIC_ARN).toBeUndefined();
  });

  it.each([
    ["MARKET_DATA_URL", "ftp://md:21"],
    ["STRATEGY_URL", "not a url"],
    ["UPSTREAM_TIMEOUT_MS", "soon"],
    ["UPSTREAM_TIMEOUT_MS", "60000"],
    ["CORS_ORIGINS", "https://app.example.com/dashboard"],
    ["GATEWAY_PORT", "70000"],
    ["ALERTS_TOPIC_ARN", "arn:aws:sqs:eu-west-1:123456789012:alerts"],
    ["ALERTS_GROUP_ID", "alerts group"],
    ["LOG_LEVEL", "verbose"],
  ])("fails at start with a message naming %s when it is %j", (name, value) => {
    expect(() => gatewayConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => gatewayConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
