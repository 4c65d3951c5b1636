import { beforeAll, describe, expect, it } from "vitest";
import { COMMAND_HANDLERS } from "@tickflow/gateway";
import { EVENT_SOURCE_NETWORK, eventSourceNetworkGrants, resourcesOf, synthesize, type Synthesized } from "./synth";

let app: Synthesized;

beforeAll(async () => {
  // `sst dev`: the Lambdas run on the developer's machine behind stubs outside the VPC
  app = await synthesize("dev-test", "dev");
});

describe("the dev stage (sst dev)", () => {
  const consumer = () =>
    resourcesOf(app.json.Api, "AWS::Lambda::Function").find(([id]) => id.startsWith("RiskConsumer"))!;

  it("runs the risk consumer outside the VPC, without the VPC-access managed policy", () => {
    const [, fn] = consumer();
    const role = resourcesOf(app.json.Api, "AWS::IAM::Role").find(([id]) => id.startsWith("RiskConsumer"))!;

    expect(fn.Properties!.VpcConfig).toBeUndefined();
    expect(role[1].Properties!.ManagedPolicyArns).toEqual([]);
  });

  it("deploys no database: the handlers on the developer's machine read the local read side", () => {
    for (const t of Object.values(app.json)) {
      expect(resourcesOf(t, "AWS::RDS::DBCluster")).toEqual([]);
      expect(resourcesOf(t, "AWS::SecretsManager::Secret")).toEqual([]);
    }
    for (const [, fn] of resourcesOf(app.json.Api, "AWS::Lambda::Function"))
      expect(JSON.stringify(fn.Properties!.Environment ?? {})).not.toContain("DATABASE_");
  });

  it("points the command handlers at the local broker, and gives their stubs no Kafka permission", () => {
    const api = app.json.Api;
    const commands = resourcesOf(api, "AWS::Lambda::Function").filter(([, fn]) =>
      (COMMAND_HANDLERS as readonly string[]).includes(
        String(fn.Properties!.FunctionName).replace("dev-test-tickflow-api-", ""),
      ),
    );
    expect(commands).toHaveLength(COMMAND_HANDLERS.length);
    for (const [, fn] of commands) {
      const env = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({ KAFKA_BROKERS: "127.0.0.1:9092", KAFKA_AUTH: "none" });
      expect(env.MSK_CLUSTER_ARN).toBeUndefined();
      expect(env.COGNITO_USER_POOL_ID).toBeDefined();
    }
    const kafkaGrants = resourcesOf(api, "AWS::IAM::Policy")
      .filter(([id]) => id.startsWith("ApiLambda"))
      .filter(([, p]) => JSON.stringify(p.Properties!.PolicyDocument).includes('"kafka'));
    expect(kafkaGrants).toEqual([]);
  });

  it("still lets the MSK event-source mappings place their network interfaces in the cluster's subnets", () => {
    const grants = eventSourceNetworkGrants(app.json.Api);

    expect(grants).toEqual(EVENT_SOURCE_NETWORK);
  });
});
