/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON: the assertions below are their types */
import { readFileSync } from "node:fs";
import { TOPICS } from "@tickflow/bus";
import { DATABASE_HANDLERS, DEFAULT_ROUTE_KEY, ROUTES } from "@tickflow/gateway";
import { CATALOG, METRICS_NAMESPACE } from "@tickflow/metrics";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CATALOG_ALARMS } from "../observability";
import { DATABASE_NAME, DATABASE_USER } from "../database";
import { COMMAND_HANDLERS, DEPLOYED_ROUTES } from "@tickflow/gateway";
import { KAFKA_IAM_PORT, POSTGRES_PORT, WORKER_PORTS } from "../settings";
import { PROJECTOR_GROUP_ID, PROJECTOR_TOPICS, STRATEGY_GROUP_ID, STRATEGY_TRANSACTIONAL_ID } from "../workers";
import {
  EVENT_SOURCE_NETWORK,
  eventSourceNetworkGrants,
  resourcesOf,
  synthesize,
  type CfnResource,
  type CfnTemplate,
  type StackName,
  type Synthesized,
} from "./synth";

let app: Synthesized;
let all: [StackName, CfnTemplate][];

beforeAll(async () => {
  app = await synthesize();
  all = Object.entries(app.json) as [StackName, CfnTemplate][];
});

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const text = (x: unknown) => JSON.stringify(x);

/** Identity policies: inline role policies and AWS::IAM::Policy documents, with where they come from. */
function identityStatements(): { stack: StackName; id: string; statement: Statement }[] {
  const out: { stack: StackName; id: string; statement: Statement }[] = [];
  for (const [stack, t] of all) {
    for (const [id, r] of Object.entries(t.Resources)) {
      const docs: { Statement: Statement[] }[] = [];
      if (r.Type === "AWS::IAM::Policy") docs.push(r.Properties!.PolicyDocument as { Statement: Statement[] });
      if (r.Type === "AWS::IAM::Role")
        for (const p of list(r.Properties!.Policies as { PolicyDocument: { Statement: Statement[] } }[]))
          docs.push(p.PolicyDocument);
      for (const d of docs) for (const statement of d.Statement) out.push({ stack, id, statement });
    }
  }
  return out;
}

/** Actions AWS does not let a policy scope to a resource: "*" is the narrowest scope that exists. */
const UNSCOPABLE = new Set([
  "ec2:DescribeVpcs",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeNetworkInterfaces",
  "ecr:GetAuthorizationToken",
]);

describe("IAM", () => {
  it("grants no wildcard action anywhere", () => {
    // Prepare / Act
    const wild = identityStatements().filter(({ statement }) =>
      list(statement.Action).some((a) => a === "*" || a.endsWith(":*")),
    );
    // Assess
    expect(wild).toEqual([]);
  });

  it("uses Resource '*' only for actions that cannot be scoped to a resource", () => {
    const star = identityStatements().filter(({ statement }) => list(statement.Resource).includes("*"));
    const scopable = star.filter(({ statement }) => list(statement.Action).some((a) => !UNSCOPABLE.has(a)));
    expect(scopable).toEqual([]);
  });

  it("scopes every kafka-cluster action to this cluster's ARNs, wildcards only for the bus's random read groups", () => {
    const kafka = identityStatements().filter(({ statement }) =>
      list(statement.Action).some((a) => a.startsWith("kafka-cluster:")),
    );
    expect(kafka.length).toBeGreaterThan(0);
    for (const { statement } of kafka) {
      for (const resource of list(statement.Resource)) {
        const s = text(resource);
        expect(s).toMatch(/KafkaCluster|Kafka[A-Za-z0-9]*Arn|kafka/);
        // the only pattern: throwaway groups named tickflow-read-<uuid>
        if (s.includes("*")) expect(s).toContain("/tickflow-read-*");
      }
    }
  });

  it("gives each worker exactly the topics, groups and transactional ids it uses", () => {
    const workers = identityStatements().filter(({ stack }) => stack === "Workers");
    const bySid = (needle: string, worker = "") =>
      workers
        .filter(({ id, statement }) => statement.Sid === needle && id.startsWith(worker))
        .map(({ statement }) => text(statement.Resource));
    const writes = bySid("KafkaWriteTopics");
    expect(writes).toHaveLength(3);
    const [marketData] = bySid("KafkaWriteTopics", "MarketData");
    const [strategy] = bySid("KafkaWriteTopics", "Strategy");
    expect(marketData).toContain(`/${TOPICS.quotes.name}`);
    expect(marketData).not.toContain(TOPICS.orders.name);
    for (const t of [
      "bars",
      "signals",
      "orders",
      "trades",
      "positions",
      "risk",
      "equity",
      "commands",
      "dlq",
      "state",
    ] as const)
      expect(strategy).toContain(`/${TOPICS[t].name}`);
    expect(strategy).not.toContain(`/${TOPICS.quotes.name}"`);
    // its input, its state changelog and the topics it primes its read views from
    const strategyReads = bySid("KafkaReadTopics").find((r) => r.includes(`/${TOPICS.state.name}`));
    for (const t of ["quotes", "commands", "state", "bars", "signals", "orders", "trades", "risk"] as const)
      expect(strategyReads).toContain(`/${TOPICS[t].name}`);
    expect(bySid("KafkaTransactions").join()).toContain(`/${STRATEGY_TRANSACTIONAL_ID}`);
    expect(bySid("KafkaGroups").join()).toContain(`/${STRATEGY_GROUP_ID}`);
    const managed = bySid("KafkaManageTopics");
    expect(managed).toHaveLength(2);
    for (const m of managed) for (const topic of Object.values(TOPICS)) expect(m).toContain(`/${topic.name}`);
  });

  it("lets the projector read the engine's outputs in its own group, and write dead letters only", () => {
    const projector = identityStatements().filter(
      ({ stack, id }) => stack === "Workers" && id.startsWith("ProjectorTaskDefinitionTaskRole"),
    );
    const bySid = (sid: string) => projector.filter(({ statement }) => statement.Sid === sid).map((s) => s.statement);
    const topicsOf = (sid: string) =>
      bySid(sid)
        .flatMap((s) => list(s.Resource))
        .map((r) => /\/([a-z.0-9]+)"\]\]\}$/.exec(text(r))?.[1])
        .sort();

    expect(PROJECTOR_TOPICS).toContain("equity");
    expect(PROJECTOR_TOPICS).not.toContain("quotes");
    expect(topicsOf("KafkaReadTopics")).toEqual(PROJECTOR_TOPICS.map((t) => TOPICS[t].name).sort());
    expect(topicsOf("KafkaWriteTopics")).toEqual([TOPICS.dlq.name]);
    expect(
      bySid("KafkaGroups")
        .flatMap((s) => list(s.Resource))
        .map(text),
    ).toEqual([expect.stringMatching(new RegExp(`/${PROJECTOR_GROUP_ID}"\\]\\]\\}$`))]);
    // offsets live in PostgreSQL: no Kafka transactions, and it creates no topics
    expect(bySid("KafkaTransactions")).toEqual([]);
    expect(bySid("KafkaManageTopics")).toEqual([]);
    // nothing of the database through IAM: it connects with the password ECS hands it (the
    // execution role reads the secret at task start; the task role cannot)
    expect(projector.length).toBeGreaterThan(0);
    const actions = projector.flatMap(({ statement }) => list(statement.Action));
    expect(actions.filter((a) => a.startsWith("rds") || a.startsWith("secretsmanager:"))).toEqual([]);
  });

  it("lets the risk consumer's MSK mappings place their network interfaces in the cluster's subnets only (as under sst dev)", () => {
    expect(eventSourceNetworkGrants(app.json.Api)).toEqual(EVENT_SOURCE_NETWORK);
  });

  it("gives the application Lambdas their own log group, not AWSLambdaBasicExecutionRole", () => {
    const roles = resourcesOf(app.json.Api, "AWS::IAM::Role").filter(
      ([id]) => id.startsWith("ApiLambda") || id.startsWith("RiskConsumer"),
    );
    // every deployed route, the $default route and the risk consumer
    expect(roles).toHaveLength(DEPLOYED_ROUTES.length + 2);
    for (const [, role] of roles)
      expect(text(role.Properties!.ManagedPolicyArns)).not.toContain("AWSLambdaBasicExecutionRole");
  });
});

describe("MSK", () => {
  const cluster = () => resourcesOf(app.json.Streaming, "AWS::MSK::Cluster")[0]![1].Properties as Record<string, any>;

  it("runs Apache Kafka 3.9.x in KRaft mode", () => {
    expect(cluster().KafkaVersion).toBe("3.9.x.kraft");
  });

  it("is not public and accepts only IAM over TLS", () => {
    const c = cluster();
    expect(c.BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type).toBe("DISABLED");
    expect(c.ClientAuthentication).toEqual({
      Sasl: { Iam: { Enabled: true }, Scram: { Enabled: false } },
      Unauthenticated: { Enabled: false },
    });
    expect(c.EncryptionInfo.EncryptionInTransit).toEqual({ ClientBroker: "TLS", InCluster: true });
    expect(c.EncryptionInfo.EncryptionAtRest.DataVolumeKMSKeyId).toBeDefined();
  });

  it("lives in the VPC's two private subnets", () => {
    expect(cluster().BrokerNodeGroupInfo.ClientSubnets).toHaveLength(2);
    expect(cluster().NumberOfBrokerNodes).toBe(2);
  });
});

describe("network", () => {
  it("has private subnets in two AZs and no route to the internet", () => {
    const net = app.json.Network;
    expect(resourcesOf(net, "AWS::EC2::Subnet")).toHaveLength(2);
    expect(resourcesOf(net, "AWS::EC2::InternetGateway")).toEqual([]);
    expect(resourcesOf(net, "AWS::EC2::NatGateway")).toEqual([]);
    for (const [, s] of resourcesOf(net, "AWS::EC2::Subnet")) expect(s.Properties!.MapPublicIpOnLaunch).toBe(false);
  });

  it("has the endpoints the workloads call", () => {
    const services = resourcesOf(app.json.Network, "AWS::EC2::VPCEndpoint").map(([, e]) =>
      text(e.Properties!.ServiceName),
    );
    for (const s of [
      "s3",
      "ecr.api",
      "ecr.dkr",
      "logs",
      "kafka",
      "sns",
      "lambda",
      "sts",
      "secretsmanager",
      "rds-data",
      "cognito-idp",
    ])
      expect(services.some((n) => n.includes(`.${s}"`) || n.endsWith(`.${s}"]]}`))).toBe(true);
  });

  it("opens only the needed ports between the needed groups", () => {
    const net = app.json.Network;
    const groups = Object.fromEntries(resourcesOf(net, "AWS::EC2::SecurityGroup").map(([id, g]) => [id, g]));
    const name = (ref: unknown) => {
      const id = (ref as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0];
      return id ? id.replace(/SecurityGroup.*/, "") : text(ref);
    };
    // no inline ingress and no ingress from an address range
    for (const g of Object.values(groups)) expect(g.Properties!.SecurityGroupIngress).toBeUndefined();
    const ingress = resourcesOf(net, "AWS::EC2::SecurityGroupIngress").map(
      ([, r]) => r.Properties as Record<string, unknown>,
    );
    expect(ingress.filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined)).toEqual([]);
    const rules = ingress
      .map((r) => `${name(r.SourceSecurityGroupId)} -> ${name(r.GroupId)}:${r.FromPort}-${r.ToPort}`)
      .sort();
    expect(rules).toEqual(
      [
        `Commands -> Endpoints:443-443`,
        `Commands -> Kafka:${KAFKA_IAM_PORT}-${KAFKA_IAM_PORT}`,
        `Gateway -> Endpoints:443-443`,
        `Gateway -> MarketData:${WORKER_PORTS.marketData}-${WORKER_PORTS.marketData}`,
        `Gateway -> Strategy:${WORKER_PORTS.strategy}-${WORKER_PORTS.strategy}`,
        `Kafka -> Endpoints:443-443`,
        `Kafka -> Kafka:${KAFKA_IAM_PORT}-${KAFKA_IAM_PORT}`,
        `MarketData -> Endpoints:443-443`,
        `MarketData -> Kafka:${KAFKA_IAM_PORT}-${KAFKA_IAM_PORT}`,
        `Projector -> Database:${POSTGRES_PORT}-${POSTGRES_PORT}`,
        `Projector -> Endpoints:443-443`,
        `Projector -> Kafka:${KAFKA_IAM_PORT}-${KAFKA_IAM_PORT}`,
        `RiskConsumer -> Endpoints:443-443`,
        `RiskConsumer -> Strategy:${WORKER_PORTS.strategy}-${WORKER_PORTS.strategy}`,
        `Strategy -> Endpoints:443-443`,
        `Strategy -> Kafka:${KAFKA_IAM_PORT}-${KAFKA_IAM_PORT}`,
      ].sort(),
    );
    // egress to anywhere only on 443 (the subnets have no internet route), never all ports
    const egress: Record<string, unknown>[] = [
      ...Object.entries(groups).flatMap(([id, g]) =>
        list(g.Properties!.SecurityGroupEgress as Record<string, unknown>[]).map((e) => ({
          ...e,
          GroupId: { "Fn::GetAtt": [id, "GroupId"] },
        })),
      ),
      ...resourcesOf(net, "AWS::EC2::SecurityGroupEgress").map(([, r]) => r.Properties as Record<string, unknown>),
    ];
    for (const e of egress) {
      // CDK's deny-all placeholder for a group that sends nothing: icmp to 255.255.255.255/32
      if (e.IpProtocol === "icmp") expect(e.CidrIp).toBe("255.255.255.255/32");
      else expect(e.IpProtocol).toBe("tcp");
      if (e.CidrIp === "0.0.0.0/0")
        expect([e.FromPort, e.ToPort, name(e.GroupId)]).toEqual([
          443,
          443,
          expect.stringMatching(/^(Kafka|MarketData|Strategy|Projector)$/),
        ]);
    }
    // the blocking placeholder CDK adds to groups that may send nothing is the only other CIDR
    expect(egress.filter((e) => e.CidrIp && e.CidrIp !== "0.0.0.0/0" && e.CidrIp !== "255.255.255.255/32")).toEqual([]);
  });
});

describe("web edge", () => {
  it("serves the dashboard with its CSP (the API's origin allowed for fetches), no framing, no sniffing, no referrer and HSTS", () => {
    const [[, policy]] = resourcesOf(app.json.Network, "AWS::CloudFront::ResponseHeadersPolicy") as unknown as [
      [string, { Properties: Record<string, any> }],
    ];
    const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = text(headers.ContentSecurityPolicy.ContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "connect-src 'self' https://*.execute-api.",
    ])
      expect(csp).toContain(directive);
    expect(headers.FrameOptions.FrameOption).toBe("DENY");
    expect(headers.ContentTypeOptions.Override).toBe(true);
    expect(headers.ReferrerPolicy.ReferrerPolicy).toBe("no-referrer");
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBe(31_536_000);
    const [[, distribution]] = resourcesOf(app.json.Network, "AWS::CloudFront::Distribution") as unknown as [
      [string, { Properties: Record<string, any> }],
    ];
    expect(text(distribution.Properties.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId)).toContain(
      "WebSecurityHeaders",
    );
  });
});

describe("logs", () => {
  it("sets a retention on every log group and deploys no LogRetention custom resource", () => {
    for (const [stack, t] of all) {
      for (const [id, g] of resourcesOf(t, "AWS::Logs::LogGroup"))
        expect({ stack, id, days: g.Properties!.RetentionInDays }).toEqual({ stack, id, days: expect.any(Number) });
      expect(resourcesOf(t, "Custom::LogRetention")).toEqual([]);
    }
  });

  it("ships the workers' EMF metrics through their logs", () => {
    const tasks = resourcesOf(app.json.Workers, "AWS::ECS::TaskDefinition");
    expect(tasks).toHaveLength(3);
    for (const [, task] of tasks) {
      const [container] = task.Properties!.ContainerDefinitions as Record<string, any>[];
      const env = Object.fromEntries(
        (container!.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
      );
      expect(env).toMatchObject({ AWS_EMF_ENVIRONMENT: "Local", METRICS_SINK: "emf", KAFKA_AUTH: "msk-iam" });
      expect(container!.LogConfiguration.LogDriver).toBe("awslogs");
      expect(container!.ReadonlyRootFilesystem).toBe(true);
    }
  });
});

describe("workers", () => {
  it("run one private Fargate task each, the two the API calls registered in Cloud Map", () => {
    const services = resourcesOf(app.json.Workers, "AWS::ECS::Service");
    expect(services).toHaveLength(3);
    for (const [, s] of services) {
      const p = s.Properties as Record<string, any>;
      expect(p.LaunchType).toBe("FARGATE");
      expect(p.DesiredCount).toBe(1);
      expect(p.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe("DISABLED");
      // nothing calls the projector: no DNS name
      expect(p.ServiceRegistries ?? []).toHaveLength(p.ServiceName === "test-tickflow-projector" ? 0 : 1);
      expect(p.DeploymentConfiguration).toMatchObject({ MaximumPercent: 100, MinimumHealthyPercent: 0 });
    }
    expect(services.map(([, s]) => s.Properties!.ServiceName).sort()).toEqual([
      "test-tickflow-market-data",
      "test-tickflow-projector",
      "test-tickflow-strategy",
    ]);
    const names = resourcesOf(app.json.Workers, "AWS::ServiceDiscovery::Service")
      .map(([, s]) => s.Properties!.Name)
      .sort();
    expect(names).toEqual(["market-data", "strategy"]);
  });
});

describe("API", () => {
  const functions = () =>
    resourcesOf(app.json.Api, "AWS::Lambda::Function").filter(
      ([id]) => id.startsWith("ApiLambda") || id.startsWith("RiskConsumer"),
    );

  it("has one Lambda per deployed route of the gateway's route table, and one for $default", () => {
    const routes = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Route")
      .map(([, r]) => r.Properties!.RouteKey)
      .sort();
    expect(routes).toEqual([...DEPLOYED_ROUTES.map((r) => `${r.method} ${r.path}`), DEFAULT_ROUTE_KEY].sort());
    expect(functions()).toHaveLength(DEPLOYED_ROUTES.length + 2);
  });

  it("does not deploy the local adapter's token route: on AWS, Cognito issues the tokens", () => {
    const local = ROUTES.filter((r) => "localOnly" in r);
    expect(local.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /api/auth/token"]);
    const keys = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties!.RouteKey);
    const names = functions().map(([, f]) => String(f.Properties!.FunctionName));
    for (const route of local) {
      expect(keys).not.toContain(`${route.method} ${route.path}`);
      expect(names).not.toContain(`test-tickflow-api-${route.handler}`);
    }
  });

  it("sends what no route takes to the gateway's not-found Lambda, in the VPC like the route Lambdas", () => {
    const api = app.json.Api;
    const [, route] = resourcesOf(api, "AWS::ApiGatewayV2::Route").find(
      ([, r]) => r.Properties!.RouteKey === DEFAULT_ROUTE_KEY,
    )!;
    const integrationId = (route.Properties!.Target as { "Fn::Join": [string, [string, { Ref: string }]] })[
      "Fn::Join"
    ][1][1].Ref;
    const integration = api.Resources[integrationId]!.Properties as Record<string, any>;
    const functionId = integration.IntegrationUri["Fn::GetAtt"][0] as string;
    const fn = api.Resources[functionId]!.Properties as Record<string, any>;
    const [, health] = functions().find(([, f]) => f.Properties!.FunctionName === "test-tickflow-api-health")!;

    expect(fn.FunctionName).toBe("test-tickflow-api-not-found");
    expect(fn.VpcConfig).toEqual((health.Properties as Record<string, any>).VpcConfig);
    expect(text(fn.Environment)).toContain('"CORS_ORIGINS"');
  });

  it("runs every function on nodejs22.x inside the VPC", () => {
    for (const [id, fn] of functions()) {
      const p = fn.Properties as Record<string, any>;
      expect({ id, runtime: p.Runtime }).toEqual({ id, runtime: "nodejs22.x" });
      expect(p.VpcConfig.SubnetIds).toHaveLength(2);
      expect(p.VpcConfig.SecurityGroupIds).toHaveLength(1);
    }
  });

  it("throttles the stage and allows CORS for the web origin only", () => {
    const [, httpApi] = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Api")[0]!;
    const cors = httpApi.Properties!.CorsConfiguration as Record<string, unknown>;
    expect(text(cors.AllowOrigins)).not.toContain('"*"');
    expect(text(cors.AllowOrigins)).toContain("WebDistribution");
    const [, stage] = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Stage")[0]!;
    expect(stage.Properties!.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: expect.any(Number),
      ThrottlingRateLimit: expect.any(Number),
    });
    expect(stage.Properties!.AccessLogSettings).toBeDefined();
  });

  it("feeds the risk consumer from strategy.risk.v1 and strategy.orders.v1, failed batches to S3", () => {
    const mappings = resourcesOf(app.json.Api, "AWS::Lambda::EventSourceMapping").map(
      ([, m]) => m.Properties as Record<string, any>,
    );
    expect(mappings.map((m) => m.Topics).sort()).toEqual([[TOPICS.orders.name], [TOPICS.risk.name]]);
    for (const m of mappings) {
      expect(text(m.EventSourceArn)).toContain("Kafka");
      expect(text(m.DestinationConfig.OnFailure.Destination)).toContain("FailedBatches");
      expect(m.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId).toMatch(/^tickflow-alerts-/);
      // on-demand pollers outside production: no partial batch responses, and the function knows
      expect(m.FunctionResponseTypes).toBeUndefined();
    }
    const [, consumer] = functions().find(([id]) => id.startsWith("RiskConsumer"))!;
    expect(text(consumer.Properties!.Environment)).toContain('"KAFKA_REPORT_BATCH_ITEM_FAILURES":"false"');
    // it checks each halt's strategy against the running ones (a forged halt is dead-lettered)
    expect(text(consumer.Properties!.Environment)).toContain('"STRATEGY_URL"');
  });

  it("encrypts the alerts topic and lets CloudWatch publish to it", () => {
    const [, topic] = resourcesOf(app.json.Api, "AWS::SNS::Topic")[0]!;
    expect(topic.Properties!.KmsMasterKeyId).toBeDefined();
  });
});

describe("observability", () => {
  const alarms = () =>
    resourcesOf(app.json.Observability, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties as Record<string, any>);

  it("has every catalog alarm, the API alarms and the risk consumer's, each notifying the alerts topic", () => {
    expect(alarms()).toHaveLength(CATALOG_ALARMS.length + 3);
    for (const a of alarms()) {
      expect(a.AlarmActions).toHaveLength(1);
      expect(text(a.AlarmActions)).toContain("Alerts");
    }
  });

  it("alarms on any error of the risk/alerts consumer in 5 minutes (its failed batches end in S3, unseen otherwise)", () => {
    const errors = alarms().find((a) => a.AlarmName === "test-tickflow-RiskConsumerErrors")!;

    expect(errors).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Statistic: "Sum",
      Period: 300,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      EvaluationPeriods: 1,
      TreatMissingData: "notBreaching",
    });
    expect(text(errors.Dimensions)).toContain("RiskConsumer");
    expect(errors.OKActions).toEqual(errors.AlarmActions);
  });

  it("warns of a drawdown before the halt, at the Prometheus rule's threshold", () => {
    const rules = parse(readFileSync("monitoring/prometheus/rules/alerts.yml", "utf8")) as {
      groups: { rules: { alert?: string; expr?: string }[] }[];
    };
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === "TickflowDrawdownHigh")!;
    const prometheus = Number(/tickflow_drawdown_ratio\)\s*>\s*([\d.]+)/.exec(rule.expr!)![1]);
    const drawdown = alarms().find((a) => a.AlarmName === "test-tickflow-DrawdownHigh")!;

    expect(drawdown.Threshold).toBe(prometheus);
    // the strategy halts at ST_MAX_DRAWDOWN (default 0.1): an alarm there would only repeat StrategyHalted
    expect(drawdown.Threshold).toBeLessThan(0.1);
  });

  it("reads only metric names from the catalog in the Tickflow namespace", () => {
    const names: string[] = [];
    const collect = (x: unknown) => {
      const s = text(x);
      for (const m of s.matchAll(/SELECT [A-Z]+\((\w+)\) FROM SCHEMA\(\\*"(\w+)/g)) {
        expect(m[2]).toBe(METRICS_NAMESPACE);
        names.push(m[1]!);
      }
    };
    for (const a of alarms()) collect(a.Metrics ?? a);
    const [, board] = resourcesOf(app.json.Observability, "AWS::CloudWatch::Dashboard")[0]!;
    collect(board.Properties!.DashboardBody);
    expect(names.length).toBeGreaterThan(CATALOG_ALARMS.length);
    expect(names.filter((n) => !(n in CATALOG))).toEqual([]);
  });
});

describe("database", () => {
  const clusters = () => all.flatMap(([, t]) => resourcesOf(t, "AWS::RDS::DBCluster"));
  const cluster = () => clusters()[0]![1].Properties as Record<string, any>;
  const instances = () => all.flatMap(([, t]) => resourcesOf(t, "AWS::RDS::DBInstance"));
  const taskDefinitions = () => resourcesOf(app.json.Workers, "AWS::ECS::TaskDefinition");
  const projectorContainer = () => {
    const [, task] = taskDefinitions().find(([id]) => id.startsWith("Projector"))!;
    return (task.Properties!.ContainerDefinitions as Record<string, any>[])[0]!;
  };

  it("is one Aurora PostgreSQL Serverless v2 cluster with the Data API, and no Serverless v1 anywhere", () => {
    expect(clusters()).toHaveLength(1);
    expect(resourcesOf(app.json.Database, "AWS::RDS::DBCluster")).toHaveLength(1);
    const c = cluster();
    expect(c.Engine).toBe("aurora-postgresql");
    expect(c.EngineVersion).toMatch(/^1[67]\./);
    // Serverless v1 is EngineMode "serverless"; v2 is the provisioned mode with db.serverless instances
    expect(c.EngineMode).toBeUndefined();
    for (const [, r] of clusters()) expect(r.Properties!.EngineMode).not.toBe("serverless");
    expect(c.ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 0.5, MaxCapacity: 4 });
    expect(c.EnableHttpEndpoint).toBe(true);
    expect(c.DatabaseName).toBe(DATABASE_NAME);
    expect(c.MasterUsername).toBe(DATABASE_USER);
    // one writer outside production
    expect(instances()).toHaveLength(1);
    for (const [, i] of instances()) {
      expect(i.Properties).toMatchObject({ DBInstanceClass: "db.serverless", PubliclyAccessible: false });
      expect(i.Properties!.DBClusterIdentifier).toEqual({ Ref: clusters()[0]![0] });
    }
  });

  it("encrypts storage and Performance Insights with its own customer-managed key, and takes TLS only", () => {
    const c = cluster();
    const [[keyId]] = resourcesOf(app.json.Database, "AWS::KMS::Key") as [[string, CfnResource]];
    expect(c.StorageEncrypted).toBe(true);
    expect(c.KmsKeyId).toEqual({ "Fn::GetAtt": [keyId, "Arn"] });
    expect(c.PerformanceInsightsEnabled).toBe(true);
    expect(c.PerformanceInsightsKmsKeyId).toEqual({ "Fn::GetAtt": [keyId, "Arn"] });
    expect(c.EnableIAMDatabaseAuthentication).toBe(true);
    const [, parameters] = resourcesOf(app.json.Database, "AWS::RDS::DBClusterParameterGroup")[0]!;
    expect(c.DBClusterParameterGroupName).toEqual({
      Ref: resourcesOf(app.json.Database, "AWS::RDS::DBClusterParameterGroup")[0]![0],
    });
    expect(parameters.Properties!.Parameters).toMatchObject({
      "rds.force_ssl": "1",
      password_encryption: "scram-sha-256",
    });
  });

  it("lives in the two private subnets behind a group that admits PostgreSQL from the projector only", () => {
    const c = cluster();
    expect(text(c.VpcSecurityGroupIds)).toMatch(/DatabaseSecurityGroup/);
    expect(c.VpcSecurityGroupIds).toHaveLength(1);
    const [, subnets] = resourcesOf(app.json.Database, "AWS::RDS::DBSubnetGroup")[0]!;
    expect(subnets.Properties!.SubnetIds).toHaveLength(2);
    expect(text(subnets.Properties!.SubnetIds)).toMatch(/privateSubnet1.*privateSubnet2/);
    const intoDatabase = resourcesOf(app.json.Network, "AWS::EC2::SecurityGroupIngress")
      .map(([, r]) => r.Properties as Record<string, any>)
      .filter((r) => text(r.GroupId).includes("DatabaseSecurityGroup"));
    expect(intoDatabase).toEqual([
      expect.objectContaining({
        IpProtocol: "tcp",
        FromPort: POSTGRES_PORT,
        ToPort: POSTGRES_PORT,
        SourceSecurityGroupId: { "Fn::GetAtt": [expect.stringMatching(/^ProjectorSecurityGroup/), "GroupId"] },
      }),
    ]);
  });

  it("exports the PostgreSQL log to a group of its own with a retention, created before the cluster", () => {
    const [[clusterId, c]] = resourcesOf(app.json.Database, "AWS::RDS::DBCluster") as [[string, CfnResource]];
    const p = c.Properties as Record<string, any>;
    const [[logsId, group]] = resourcesOf(app.json.Database, "AWS::Logs::LogGroup") as [[string, CfnResource]];
    expect(p.EnableCloudwatchLogsExports).toEqual(["postgresql"]);
    expect(group.Properties!.LogGroupName).toBe(`/aws/rds/cluster/${p.DBClusterIdentifier}/postgresql`);
    expect(group.Properties!.RetentionInDays).toEqual(expect.any(Number));
    expect(app.json.Database.Resources[clusterId] as { DependsOn?: string[] }).toMatchObject({
      DependsOn: expect.arrayContaining([logsId]),
    });
  });

  it("keeps the generated owner password in Secrets Manager, and no password in any environment", () => {
    const secrets = resourcesOf(app.json.Database, "AWS::SecretsManager::Secret");
    expect(secrets).toHaveLength(1);
    const generate = secrets[0]![1].Properties!.GenerateSecretString as Record<string, any>;
    expect(JSON.parse(generate.SecretStringTemplate as string)).toEqual({ username: DATABASE_USER });
    expect(generate.GenerateStringKey).toBe("password");

    const environments: { where: string; name: string; value: unknown }[] = [];
    for (const [stack, t] of all) {
      for (const [id, fn] of resourcesOf(t, "AWS::Lambda::Function"))
        for (const [name, value] of Object.entries(
          ((fn.Properties!.Environment as { Variables?: Record<string, unknown> }) ?? {}).Variables ?? {},
        ))
          environments.push({ where: `${stack}/${id}`, name, value });
      for (const [id, task] of resourcesOf(t, "AWS::ECS::TaskDefinition"))
        for (const c of task.Properties!.ContainerDefinitions as Record<string, any>[])
          for (const e of list(c.Environment as { Name: string; Value: unknown }[]))
            environments.push({ where: `${stack}/${id}`, name: e.Name, value: e.Value });
    }
    expect(environments.length).toBeGreaterThan(0);
    expect(environments.filter((e) => /PASS|PWD|CREDENTIAL/i.test(e.name))).toEqual([]);
    // a dynamic reference would put the secret's value into the plain environment at deploy time
    expect(environments.filter((e) => text(e.value).includes("resolve:secretsmanager"))).toEqual([]);
  });

  it("hands the projector the password as an ECS secret from the cluster's secret, and the rest of libpq's settings in its environment", () => {
    const container = projectorContainer();
    const env = Object.fromEntries(
      (container.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );
    expect(container.Secrets).toEqual([
      {
        Name: "PGPASSWORD",
        ValueFrom: {
          "Fn::Join": [
            "",
            [
              { "Fn::ImportValue": expect.stringMatching(/^test-tickflow-Database:.*ClusterSecretAttachment/) },
              ":password::",
            ],
          ],
        },
      },
    ]);
    expect(env).toMatchObject({
      PGPORT: String(POSTGRES_PORT),
      PGDATABASE: DATABASE_NAME,
      PGUSER: DATABASE_USER,
      PGSSLMODE: "require",
      KAFKA_AUTH: "msk-iam",
      METRICS_SINK: "emf",
    });
    expect(text(env.PGHOST)).toMatch(/test-tickflow-Database:.*EndpointAddress/);
    // the other workers know nothing of the database
    for (const [id, task] of taskDefinitions().filter(([id]) => !id.startsWith("Projector"))) {
      const [c] = task.Properties!.ContainerDefinitions as Record<string, any>[];
      expect({ id, secrets: c!.Secrets }).toEqual({ id, secrets: undefined });
      expect(text(c!.Environment)).not.toContain('"PG');
    }
  });

  it("lets only the projector's execution role read the secret in the Workers stack", () => {
    const readers = identityStatements()
      .filter(({ stack }) => stack === "Workers")
      .filter(({ statement }) => list(statement.Action).includes("secretsmanager:GetSecretValue"));
    expect(readers.map(({ id }) => id)).toEqual([expect.stringMatching(/^ProjectorTaskDefinitionExecutionRole/)]);
    expect(text(readers[0]!.statement.Resource)).toMatch(/test-tickflow-Database:.*ClusterSecretAttachment/);
  });

  it("tells only the DATABASE_HANDLERS' Lambdas about the cluster, and lets only them call the Data API", () => {
    const api = app.json.Api;
    const policies = resourcesOf(api, "AWS::IAM::Policy");
    const byHandler = resourcesOf(api, "AWS::Lambda::Function")
      .filter(([, fn]) => String(fn.Properties!.FunctionName).startsWith("test-tickflow-api-"))
      .map(([, fn]) => {
        const p = fn.Properties as Record<string, any>;
        const roleId = p.Role["Fn::GetAtt"][0] as string;
        const statements = policies
          .filter(([, policy]) => text(policy.Properties!.Roles).includes(`"${roleId}"`))
          .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
        return {
          handler: String(p.FunctionName).replace("test-tickflow-api-", ""),
          env: p.Environment.Variables as Record<string, unknown>,
          actions: statements.flatMap((s) => list(s.Action)),
        };
      });
    expect(byHandler).toHaveLength(DEPLOYED_ROUTES.length + 1);
    expect(DATABASE_HANDLERS.length).toBeGreaterThan(0);
    for (const { handler, env, actions } of byHandler) {
      const reads = (DATABASE_HANDLERS as readonly string[]).includes(handler);
      const dataApi = actions.filter((a) => a.startsWith("rds-data:") || a.startsWith("secretsmanager:")).sort();
      expect({ handler, cluster: "DATABASE_CLUSTER_ARN" in env, secret: "DATABASE_SECRET_ARN" in env }).toEqual({
        handler,
        cluster: reads,
        secret: reads,
      });
      if (reads) {
        expect(env.DATABASE_NAME).toBe(DATABASE_NAME);
        expect(text(env.DATABASE_CLUSTER_ARN)).toMatch(/:rds:.*:cluster:.*test-tickflow-Database/);
        expect(text(env.DATABASE_SECRET_ARN)).toMatch(/test-tickflow-Database:.*ClusterSecretAttachment/);
        expect(dataApi).toEqual(expect.arrayContaining(["rds-data:ExecuteStatement", "secretsmanager:GetSecretValue"]));
      } else {
        expect({ handler, dataApi }).toEqual({ handler, dataApi: [] });
      }
    }
    // and nobody else anywhere
    const elsewhere = identityStatements().filter(
      ({ stack, id, statement }) =>
        list(statement.Action).some((a) => a.startsWith("rds-data:")) &&
        !(stack === "Api" && id.startsWith("ApiLambda")),
    );
    expect(elsewhere).toEqual([]);
  });
});

/** The API's route Lambdas (deployed routes and `$default`), with their environment, security groups and identity statements. */
function routeLambdas() {
  const api = app.json.Api;
  const policies = resourcesOf(api, "AWS::IAM::Policy");
  return resourcesOf(api, "AWS::Lambda::Function")
    .filter(([, fn]) => String(fn.Properties!.FunctionName).startsWith("test-tickflow-api-"))
    .map(([id, fn]) => {
      const p = fn.Properties as Record<string, any>;
      const roleId = p.Role["Fn::GetAtt"][0] as string;
      const statements = policies
        .filter(([, policy]) => text(policy.Properties!.Roles).includes(`"${roleId}"`))
        .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
      return {
        id,
        handler: String(p.FunctionName).replace("test-tickflow-api-", ""),
        env: p.Environment.Variables as Record<string, unknown>,
        securityGroups: text(p.VpcConfig?.SecurityGroupIds),
        statements,
      };
    });
}

const AUTH_IMPORT = {
  pool: { "Fn::ImportValue": expect.stringMatching(/^test-tickflow-Auth:ExportsOutputRefUserPool[0-9A-F]+$/) },
  client: {
    "Fn::ImportValue": expect.stringMatching(/^test-tickflow-Auth:ExportsOutputRefUserPoolDashboardClient[0-9A-F]+$/),
  },
};

describe("auth", () => {
  const pool = () => resourcesOf(app.json.Auth, "AWS::Cognito::UserPool");
  const routes = () =>
    resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties as Record<string, any>);

  it("is one Cognito user pool where only an administrator creates users, with a strong password policy", () => {
    expect(pool()).toHaveLength(1);
    const [[, p]] = pool() as [[string, CfnResource]];
    const props = p.Properties as Record<string, any>;
    expect(props.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(props.Policies.PasswordPolicy).toEqual({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
      TemporaryPasswordValidityDays: 3,
      PasswordHistorySize: 5,
    });
    expect(props.UsernameConfiguration).toEqual({ CaseSensitive: false });
    expect(props.AccountRecoverySetting.RecoveryMechanisms).toEqual([{ Name: "verified_email", Priority: 1 }]);
    // a preview stage: no threat protection (Plus tier) and no deletion protection, removed with the stage
    expect(props.UserPoolTier).toBe("ESSENTIALS");
    expect(props.DeletionProtection).toBe("INACTIVE");
    expect(p.DeletionPolicy).toBe("Delete");
  });

  it("has the trader group: its members trade, everyone else only reads", () => {
    const groups = resourcesOf(app.json.Auth, "AWS::Cognito::UserPoolGroup").map(([, g]) => g.Properties);
    expect(groups).toEqual([expect.objectContaining({ GroupName: "trader", UserPoolId: { Ref: pool()[0]![0] } })]);
  });

  it("has one app client, the dashboard's: public, password and SRP sign-in, one-hour access tokens, no OAuth", () => {
    const clients = resourcesOf(app.json.Auth, "AWS::Cognito::UserPoolClient").map(([, c]) => c.Properties!);
    expect(clients).toHaveLength(1);
    const [client] = clients as [Record<string, any>];
    expect(client.GenerateSecret).toBe(false);
    expect([...client.ExplicitAuthFlows].sort()).toEqual([
      "ALLOW_REFRESH_TOKEN_AUTH",
      "ALLOW_USER_PASSWORD_AUTH",
      "ALLOW_USER_SRP_AUTH",
    ]);
    expect(client.AccessTokenValidity).toBe(60);
    expect(client.TokenValidityUnits.AccessToken).toBe("minutes");
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(client.AllowedOAuthFlows).toBeUndefined();
    expect(client.PreventUserExistenceErrors).toBe("ENABLED");
    expect(client.EnableTokenRevocation).toBe(true);
  });

  it("checks Cognito access tokens of the dashboard's client with one JWT authorizer", () => {
    const authorizers = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Authorizer").map(([, a]) => a.Properties);
    expect(authorizers).toEqual([
      expect.objectContaining({
        AuthorizerType: "JWT",
        IdentitySource: ["$request.header.Authorization"],
        JwtConfiguration: {
          Issuer: { "Fn::Join": ["", ["https://cognito-idp.us-east-1.amazonaws.com/", AUTH_IMPORT.pool]] },
          Audience: [AUTH_IMPORT.client],
        },
      }),
    ]);
  });

  it("puts the authorizer on every deployed route but health, and not on $default (CORS preflights)", () => {
    const [[authorizerId]] = resourcesOf(app.json.Api, "AWS::ApiGatewayV2::Authorizer") as [[string, CfnResource]];
    const open = DEPLOYED_ROUTES.filter((r) => r.access === "open").map((r) => `${r.method} ${r.path}`);
    expect(open).toEqual(["GET /api/health"]);
    const expected = Object.fromEntries([
      ...DEPLOYED_ROUTES.map((r) => [`${r.method} ${r.path}`, r.access === "open" ? "NONE" : "JWT"]),
      [DEFAULT_ROUTE_KEY, "NONE"],
    ]);
    const actual = Object.fromEntries(routes().map((r) => [r.RouteKey as string, r.AuthorizationType as string]));
    expect(actual).toEqual(expected);
    for (const r of routes()) {
      if (r.AuthorizationType === "JWT")
        expect({ route: r.RouteKey, id: r.AuthorizerId }).toEqual({ route: r.RouteKey, id: { Ref: authorizerId } });
      else expect({ route: r.RouteKey, id: r.AuthorizerId }).toEqual({ route: r.RouteKey, id: undefined });
    }
    // every write route among the authorized ones
    for (const r of DEPLOYED_ROUTES.filter((r) => r.access === "trade"))
      expect(actual[`${r.method} ${r.path}`]).toBe("JWT");
  });

  it("tells every route Lambda the pool and the client, to verify the token again", () => {
    const lambdas = routeLambdas();
    expect(lambdas).toHaveLength(DEPLOYED_ROUTES.length + 1);
    for (const { handler, env } of lambdas)
      expect({ handler, pool: env.COGNITO_USER_POOL_ID, client: env.COGNITO_CLIENT_ID }).toEqual({
        handler,
        pool: AUTH_IMPORT.pool,
        client: AUTH_IMPORT.client,
      });
  });

  it("builds the dashboard with the pool, the client and the region, and lets it call Cognito", () => {
    // resolved where each value is defined: the Auth stack's pool and client, the Api stack's URL
    const [[poolId]] = resourcesOf(app.json.Auth, "AWS::Cognito::UserPool") as [[string, CfnResource]];
    const [[clientId]] = resourcesOf(app.json.Auth, "AWS::Cognito::UserPoolClient") as [[string, CfnResource]];
    expect(app.webEnvironment).toEqual({
      VITE_API_URL: { "Fn::GetAtt": [expect.stringMatching(/^Api/), "ApiEndpoint"] },
      VITE_COGNITO_USER_POOL_ID: { Ref: poolId },
      VITE_COGNITO_CLIENT_ID: { Ref: clientId },
      VITE_COGNITO_REGION: "us-east-1",
      VITE_STREAM_URL: {
        "Fn::Join": [
          "",
          ["wss://", { "Fn::GetAtt": [expect.stringMatching(/^Events/), "Dns.Realtime"] }, "/event/realtime"],
        ],
      },
      VITE_STREAM_HOST: { "Fn::GetAtt": [expect.stringMatching(/^Events/), "Dns.Http"] },
    });
    const [[, policy]] = resourcesOf(app.json.Network, "AWS::CloudFront::ResponseHeadersPolicy") as [
      [string, CfnResource],
    ];
    const csp = text(
      (policy.Properties as Record<string, any>).ResponseHeadersPolicyConfig.SecurityHeadersConfig
        .ContentSecurityPolicy,
    );
    expect(csp).toMatch(
      /connect-src 'self' https:\/\/\*\.execute-api\.us-east-1\.amazonaws\.com https:\/\/cognito-idp\.us-east-1\.amazonaws\.com wss:\/\/\*\.appsync-realtime-api\.us-east-1\.amazonaws\.com;/,
    );
  });
});

describe("commands", () => {
  const clusterArn = {
    "Fn::ImportValue": expect.stringMatching(/^test-tickflow-Streaming:ExportsOutputFnGetAttKafkaArn/),
  };
  /** The topic name at the end of a topic ARN's Fn::Join, or the whole value as JSON text if it is no topic ARN. */
  const topicOf = (resource: unknown) => {
    const parts = (resource as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"]?.[1];
    const last = parts?.at(-1);
    return typeof last === "string" && text(parts).includes(":topic/") ? last.replace(/^\//, "") : text(resource);
  };
  const kafkaActions = (statements: Statement[]) =>
    statements.flatMap((s) => list(s.Action)).filter((a) => a.startsWith("kafka-cluster:") || a.startsWith("kafka:"));

  it("are the gateway's COMMAND_HANDLERS, every one of them deployed", () => {
    expect(COMMAND_HANDLERS.length).toBeGreaterThan(0);
    // every route a trader's token is needed for publishes a command, and no other does
    expect([...COMMAND_HANDLERS].sort()).toEqual(
      ROUTES.filter((r) => r.access === "trade")
        .map((r) => r.handler)
        .sort(),
    );
    const handlers = routeLambdas().map((l) => l.handler);
    for (const h of COMMAND_HANDLERS) expect(handlers).toContain(h);
    // they honour an Idempotency-Key from the read side: the Data API grants apply
    for (const h of COMMAND_HANDLERS) expect(DATABASE_HANDLERS).toContain(h);
  });

  it("publish to MSK: brokers from the cluster's ARN, SASL/IAM, in the command security group", () => {
    for (const { handler, env, securityGroups } of routeLambdas().filter((l) =>
      (COMMAND_HANDLERS as readonly string[]).includes(l.handler),
    )) {
      expect({ handler, arn: env.MSK_CLUSTER_ARN, auth: env.KAFKA_AUTH }).toEqual({
        handler,
        arn: clusterArn,
        auth: "msk-iam",
      });
      expect({ handler, brokers: env.KAFKA_BROKERS }).toEqual({ handler, brokers: undefined });
      expect({ handler, securityGroups }).toEqual({
        handler,
        securityGroups: expect.stringMatching(/CommandsSecurityGroup/),
      });
      expect(env.DATABASE_CLUSTER_ARN).toBeDefined();
    }
  });

  it("may write strategy.commands.v1 and no other topic: no read, no group, no topic created", () => {
    for (const { handler, statements } of routeLambdas().filter((l) =>
      (COMMAND_HANDLERS as readonly string[]).includes(l.handler),
    )) {
      const on = (action: string) =>
        statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
      expect({ handler, actions: [...new Set(kafkaActions(statements))].sort() }).toEqual({
        handler,
        actions: [
          "kafka-cluster:Connect",
          "kafka-cluster:DescribeCluster",
          "kafka-cluster:DescribeTopic",
          "kafka-cluster:WriteData",
          "kafka-cluster:WriteDataIdempotently",
          "kafka:GetBootstrapBrokers",
        ],
      });
      // the topic actions on the commands topic's ARN of this cluster, exactly: no other topic, no pattern
      for (const action of ["kafka-cluster:WriteData", "kafka-cluster:DescribeTopic"]) {
        expect({ handler, action, topics: on(action).map(topicOf) }).toEqual({
          handler,
          action,
          topics: [TOPICS.commands.name],
        });
        for (const r of on(action)) {
          expect(text(r)).not.toContain("*");
          expect(text(r)).toContain(":topic/test-tickflow-kafka/");
        }
      }
      // the cluster-level ones (connect, describe, the idempotent producer's InitProducerId) and the brokers' lookup on the cluster only
      for (const action of [
        "kafka-cluster:Connect",
        "kafka-cluster:DescribeCluster",
        "kafka-cluster:WriteDataIdempotently",
        "kafka:GetBootstrapBrokers",
      ])
        expect({ handler, action, resources: on(action) }).toEqual({ handler, action, resources: [clusterArn] });
    }
  });

  it("leave every other route Lambda without any Kafka permission, broker setting or network path", () => {
    const others = routeLambdas().filter((l) => !(COMMAND_HANDLERS as readonly string[]).includes(l.handler));
    expect(others.length).toBe(DEPLOYED_ROUTES.length + 1 - COMMAND_HANDLERS.length);
    for (const { handler, env, securityGroups, statements } of others) {
      expect({ handler, kafka: kafkaActions(statements) }).toEqual({ handler, kafka: [] });
      expect({ handler, env: Object.keys(env).filter((k) => k.startsWith("KAFKA_") || k.startsWith("MSK_")) }).toEqual({
        handler,
        env: [],
      });
      expect({ handler, securityGroups }).toEqual({
        handler,
        securityGroups: expect.stringMatching(/GatewaySecurityGroup/),
      });
    }
  });

  it("are the only identities of the Api stack allowed to write to Kafka", () => {
    const commandRoles = new Set(
      resourcesOf(app.json.Api, "AWS::Lambda::Function")
        .filter(([, fn]) =>
          (COMMAND_HANDLERS as readonly string[]).includes(
            String(fn.Properties!.FunctionName).replace("test-tickflow-api-", ""),
          ),
        )
        .map(([, fn]) => (fn.Properties as Record<string, any>).Role["Fn::GetAtt"][0] as string),
    );
    const writers = resourcesOf(app.json.Api, "AWS::IAM::Policy")
      .filter(([, p]) =>
        (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement.some((s) =>
          list(s.Action).some((a) => a === "kafka-cluster:WriteData" || a === "kafka-cluster:WriteDataIdempotently"),
        ),
      )
      .flatMap(([, p]) => (p.Properties!.Roles as { Ref: string }[]).map((r) => r.Ref));
    expect(writers.sort()).toEqual([...commandRoles].sort());
    expect(commandRoles.size).toBe(COMMAND_HANDLERS.length);
  });
});

describe("templates", () => {
  it("are written for cfn-lint and checkov", async () => {
    const { readdirSync } = await import("node:fs");
    const { TEMPLATE_DIR } = await import("./synth");
    expect(readdirSync(TEMPLATE_DIR).filter((f) => f.startsWith("test-tickflow-"))).toHaveLength(9);
  });

  it.each(["Network", "Auth", "Streaming", "Database", "Workers", "Api", "Stream", "Web", "Observability"] as const)(
    "%s synthesizes resources",
    (name) => {
      expect(Object.values(app.json[name].Resources as Record<string, CfnResource>).length).toBeGreaterThan(0);
    },
  );
});
