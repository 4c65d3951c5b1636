import { GetBootstrapBrokersCommand, KafkaClient } from "@aws-sdk/client-kafka";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { readEnv } from "@tickflow/runtime";
import { KafkaEnvSchema, kafkajsConfig, kafkaSettings, resolveBrokers } from "../src";

/** The broker settings of an environment as a process reads them: its variables through readEnv, then kafkaSettings. */
const kafkaSettingsFromEnv = (env: Record<string, string>, clientId: string) =>
  kafkaSettings(readEnv(env, { kafka: KafkaEnvSchema }).kafka, clientId);

const ARN = "arn:aws:kafka:eu-west-1:123456789012:cluster/tickflow/0b1c2d3e-aaaa-bbbb-cccc-111122223333-2";

describe("broker settings from the environment", () => {
  it("reads a broker list with defaults", () => {
    expect(kafkaSettingsFromEnv({ KAFKA_BROKERS: "127.0.0.1:9092, 10.0.0.2:9094" }, "svc")).toEqual({
      brokers: ["127.0.0.1:9092", "10.0.0.2:9094"],
      clusterArn: null,
      auth: "none",
      region: null,
      scram: null,
      clientId: "svc",
      topicPrefix: "",
    });
  });

  it.each([
    [{}, /set KAFKA_BROKERS \(e.g. 127.0.0.1:9092\) or MSK_CLUSTER_ARN/],
    [{ KAFKA_BROKERS: "localhost" }, /KAFKA_BROKERS: must be a comma-separated list of host:port/],
    [{ MSK_CLUSTER_ARN: "arn:aws:s3:::bucket" }, /MSK_CLUSTER_ARN: is not an MSK cluster ARN/],
    [{ KAFKA_BROKERS: "a:1", KAFKA_AUTH: "kerberos" }, /KAFKA_AUTH: must be none, msk-iam or scram/],
    [{ KAFKA_BROKERS: "a:1", KAFKA_AUTH: "msk-iam" }, /AWS_REGION: is required/],
    [{ KAFKA_BROKERS: "a:1", KAFKA_AUTH: "scram" }, /KAFKA_SCRAM_USERNAME: is required/],
    [{ KAFKA_BROKERS: "a:1", KAFKA_AUTH: "scram", KAFKA_SCRAM_USERNAME: "u" }, /KAFKA_SCRAM_PASSWORD: is required/],
    [{ KAFKA_BROKERS: "a:1", KAFKA_TOPIC_PREFIX: "bad prefix" }, /KAFKA_TOPIC_PREFIX: may hold only/],
  ])("fails at start naming the variable for %j", (env, message) => {
    expect(() => kafkaSettingsFromEnv(env, "svc")).toThrow(message);
  });

  it("takes the region from the cluster ARN when AWS_REGION is unset", () => {
    expect(kafkaSettingsFromEnv({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: "msk-iam" }, "svc")).toMatchObject({
      clusterArn: ARN,
      region: "eu-west-1",
      brokers: null,
    });
  });
});

describe("MSK discovery and IAM auth", () => {
  const kafka = mockClient(KafkaClient);
  afterEach(() => kafka.reset());

  it("resolves the IAM bootstrap brokers of the cluster with GetBootstrapBrokers", async () => {
    kafka.on(GetBootstrapBrokersCommand, { ClusterArn: ARN }).resolves({
      BootstrapBrokerStringSaslIam:
        "b-1.tickflow.kafka.eu-west-1.amazonaws.com:9098,b-2.tickflow.kafka.eu-west-1.amazonaws.com:9098",
      BootstrapBrokerStringTls: "b-1.tickflow.kafka.eu-west-1.amazonaws.com:9094",
    });
    const settings = kafkaSettingsFromEnv({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: "msk-iam" }, "svc");
    expect(await resolveBrokers(settings, new KafkaClient({ region: "eu-west-1" }))).toEqual({
      brokers: ["b-1.tickflow.kafka.eu-west-1.amazonaws.com:9098", "b-2.tickflow.kafka.eu-west-1.amazonaws.com:9098"],
      tls: true,
    });
    expect(kafka.commandCalls(GetBootstrapBrokersCommand)).toHaveLength(1);
  });

  it("explains when the cluster lacks brokers for the chosen auth", async () => {
    kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringTls: "b-1:9094" });
    const settings = kafkaSettingsFromEnv(
      { MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: "scram", KAFKA_SCRAM_USERNAME: "u", KAFKA_SCRAM_PASSWORD: "p" },
      "svc",
    );
    await expect(resolveBrokers(settings, new KafkaClient({ region: "eu-west-1" }))).rejects.toThrow(
      /no bootstrap brokers for KAFKA_AUTH=scram/,
    );
  });

  it("configures SASL OAUTHBEARER over TLS with a SigV4-signed MSK token", async () => {
    const env = {
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const config = await kafkajsConfig(
        kafkaSettingsFromEnv({ KAFKA_BROKERS: "b-1:9098", KAFKA_AUTH: "msk-iam", AWS_REGION: "eu-west-1" }, "svc"),
      );
      expect(config).toMatchObject({
        clientId: "svc",
        brokers: ["b-1:9098"],
        ssl: true,
        sasl: { mechanism: "oauthbearer" },
      });
      const sasl = config.sasl as { oauthBearerProvider: () => Promise<{ value: string }> };
      const { value } = await sasl.oauthBearerProvider();
      const url = new URL(Buffer.from(value, "base64url").toString());
      expect(url.hostname).toBe("kafka.eu-west-1.amazonaws.com");
      expect(url.searchParams.get("Action")).toBe("kafka-cluster:Connect");
      expect(url.searchParams.get("X-Amz-Credential")).toMatch(
        /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
      );
      expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
    }
  });

  it("configures SCRAM-SHA-512 over TLS", async () => {
    const config = await kafkajsConfig(
      kafkaSettingsFromEnv(
        { KAFKA_BROKERS: "b-1:9096", KAFKA_AUTH: "scram", KAFKA_SCRAM_USERNAME: "u", KAFKA_SCRAM_PASSWORD: "p" },
        "svc",
      ),
    );
    expect(config).toMatchObject({ ssl: true, sasl: { mechanism: "scram-sha-512", username: "u", password: "p" } });
  });
});
