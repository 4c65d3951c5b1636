/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON */
import { TOPICS } from "@tickflow/bus";
import { beforeAll, describe, expect, it } from "vitest";
import { STREAM_CHANNELS } from "@tickflow/gateway";
import { streamConsumerGroup } from "../stream";
import { resourcesOf, synthesize, type CfnTemplate, type StackName, type Synthesized } from "./synth";

let app: Synthesized;

beforeAll(async () => {
  app = await synthesize();
});

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const text = (x: unknown) => JSON.stringify(x);

/** The statements of every identity policy in a stack, with the policy's roles. */
function statements(t: CfnTemplate): { roles: string; statement: Statement }[] {
  return resourcesOf(t, "AWS::IAM::Policy").flatMap(([, p]) =>
    (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.map((statement) => ({
      roles: text(p.Properties!.Roles),
      statement,
    })),
  );
}

describe("the stream on AWS (AppSync Events)", () => {
  const stream = () => app.json.Stream;
  const fanout = () => resourcesOf(stream(), "AWS::Lambda::Function").find(([id]) => id.startsWith("StreamFanout"))!;
  const fanoutStatements = () => {
    const role = (fanout()[1].Properties as Record<string, any>).Role["Fn::GetAtt"][0] as string;
    return statements(stream())
      .filter(({ roles }) => roles.includes(role))
      .map(({ statement }) => statement);
  };
  const topicOf = (resource: unknown) => /\/([a-z.0-9-]+)"\]\]\}$/.exec(text(resource))?.[1];

  it("is one Event API: dashboards connect and subscribe with the Auth stack's Cognito pool, only IAM publishes", () => {
    const apis = resourcesOf(stream(), "AWS::AppSync::Api");
    expect(apis).toHaveLength(1);
    const config = apis[0]![1].Properties!.EventConfig as Record<string, any>;
    expect(config.AuthProviders).toEqual([
      {
        AuthType: "AMAZON_COGNITO_USER_POOLS",
        CognitoConfig: {
          AwsRegion: "us-east-1",
          UserPoolId: { "Fn::ImportValue": expect.stringMatching(/^test-tickflow-Auth:.*UserPool/) },
        },
      },
      { AuthType: "AWS_IAM" },
    ]);
    expect(config.ConnectionAuthModes).toEqual([{ AuthType: "AMAZON_COGNITO_USER_POOLS" }]);
    expect(config.DefaultSubscribeAuthModes).toEqual([{ AuthType: "AMAZON_COGNITO_USER_POOLS" }]);
    expect(config.DefaultPublishAuthModes).toEqual([{ AuthType: "AWS_IAM" }]);
    // no API key anywhere: nobody subscribes without a user-pool token
    expect(resourcesOf(stream(), "AWS::AppSync::ApiKey")).toEqual([]);
    expect(text(config)).not.toContain("API_KEY");
  });

  it("has one channel namespace per stream channel, each inheriting the API's auth modes", () => {
    const namespaces = resourcesOf(stream(), "AWS::AppSync::ChannelNamespace").map(
      ([, n]) => n.Properties as Record<string, any>,
    );
    expect(namespaces.map((n) => n.Name).sort()).toEqual(
      ["quotes", "bars", "signals", "orders", "trades", "positions", "equity", "risk", "commands"].sort(),
    );
    for (const n of namespaces) {
      expect(n.PublishAuthModes).toBeUndefined();
      expect(n.SubscribeAuthModes).toBeUndefined();
    }
  });

  it("feeds the fan-out Lambda from exactly the stream's topics, one mapping and group each, from the latest offset", () => {
    const mappings = resourcesOf(stream(), "AWS::Lambda::EventSourceMapping").map(
      ([, m]) => m.Properties as Record<string, any>,
    );
    expect(mappings.map((m) => m.Topics).sort()).toEqual(STREAM_CHANNELS.map((t) => [TOPICS[t].name]).sort());
    for (const m of mappings) {
      const topic = STREAM_CHANNELS.find((t) => TOPICS[t].name === m.Topics[0])!;
      expect(text(m.EventSourceArn)).toContain("Kafka");
      expect(m.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId).toBe(streamConsumerGroup(topic));
      expect(m.StartingPosition).toBe("LATEST");
      expect(text(m.FunctionName)).toContain("StreamFanout");
    }
    // the engine's internal topics never reach a browser
    for (const internal of [TOPICS.state.name, TOPICS.dlq.name])
      expect(mappings.flatMap((m) => m.Topics)).not.toContain(internal);
  });

  it("runs the fan-out handler on nodejs22.x, told the API's HTTP domain, outside the VPC", () => {
    const p = fanout()[1].Properties as Record<string, any>;
    expect(p.Runtime).toBe("nodejs22.x");
    expect(p.Environment.Variables.EVENTS_HTTP_DOMAIN).toEqual({
      "Fn::GetAtt": [expect.stringMatching(/^Events/), "Dns.Http"],
    });
    expect(p.VpcConfig).toBeUndefined();
  });

  it("lets the fan-out publish on this API's namespaces only, and no other AppSync action", () => {
    const appsync = fanoutStatements().filter((s) => list(s.Action).some((a) => a.startsWith("appsync:")));
    expect(appsync).toHaveLength(1);
    expect(list(appsync[0]!.Action)).toEqual(["appsync:EventPublish"]);
    const resources = list(appsync[0]!.Resource);
    expect(resources).toHaveLength(STREAM_CHANNELS.length);
    for (const r of resources)
      expect(r).toEqual({ "Fn::GetAtt": [expect.stringMatching(/^EventsChannel/), "ChannelNamespaceArn"] });
    // and nobody else in any stack may publish
    const publishers = (Object.entries(app.json) as [StackName, CfnTemplate][]).flatMap(([, t]) =>
      statements(t).filter(({ statement }) => list(statement.Action).some((a) => a.startsWith("appsync:"))),
    );
    expect(publishers).toHaveLength(1);
  });

  it("lets the fan-out read only the stream's topics, in its own groups, and write nothing to Kafka", () => {
    const bySid = (sid: string) => fanoutStatements().filter((s) => s.Sid === sid);
    const topics = (sid: string) =>
      bySid(sid)
        .flatMap((s) => list(s.Resource))
        .map(topicOf)
        .sort();
    const expected = STREAM_CHANNELS.map((t) => TOPICS[t].name).sort();
    expect(topics("KafkaReadTopics")).toEqual(expected);
    expect(topics("KafkaDescribeTopics")).toEqual(expected);
    expect(topics("KafkaGroups")).toEqual(STREAM_CHANNELS.map(streamConsumerGroup).sort());
    const actions = fanoutStatements().flatMap((s) => list(s.Action));
    for (const forbidden of [
      "kafka-cluster:WriteData",
      "kafka-cluster:WriteDataIdempotently",
      "kafka-cluster:CreateTopic",
      "kafka-cluster:AlterTopic",
      "kafka-cluster:AlterTransactionalId",
    ])
      expect(actions).not.toContain(forbidden);
    // every Kafka resource is this cluster's, no pattern
    for (const s of fanoutStatements().filter((s) => list(s.Action).some((a) => a.startsWith("kafka"))))
      for (const r of list(s.Resource)) expect(text(r)).not.toContain("*");
  });

  it("gives the fan-out its own log group with a retention, not AWSLambdaBasicExecutionRole", () => {
    const role = (fanout()[1].Properties as Record<string, any>).Role["Fn::GetAtt"][0] as string;
    expect(stream().Resources[role]!.Properties!.ManagedPolicyArns).toEqual([]);
    const [, logs] = resourcesOf(stream(), "AWS::Logs::LogGroup").find(([id]) => id.startsWith("StreamFanoutLogs"))!;
    expect(logs.Properties!.RetentionInDays).toBe(14);
  });

  it("outputs the realtime URL the dashboard is built with", () => {
    const outputs = (app.json.Stream as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    expect(outputs.StreamRealtimeUrl!.Value).toEqual(app.webEnvironment.VITE_STREAM_URL);
    expect(outputs.StreamHttpDomain!.Value).toEqual(app.webEnvironment.VITE_STREAM_HOST);
  });
});
