import { beforeAll, describe, expect, it } from "vitest";
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

  it("still lets the MSK event-source mappings place their network interfaces in the cluster's subnets", () => {
    const grants = eventSourceNetworkGrants(app.json.Api);

    expect(grants).toEqual(EVENT_SOURCE_NETWORK);
  });
});
