import { Duration } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import { dashboardSecurityHeaders } from "@tickflow/runtime";
import type { StackContext } from "sst/constructs";
import { HTTPS_PORT, KAFKA_IAM_PORT, POSTGRES_PORT, stageSettings, WORKER_PORTS } from "./settings";

/**
 * The network every other stack runs in: a VPC across two AZs with private, isolated subnets
 * only (no internet gateway, no NAT: nothing here needs the internet), the VPC endpoints the
 * workloads call, one security group per role with only the rules between them that the
 * traffic needs, and the web's public edge (bucket and CloudFront distribution).
 *
 * The edge lives here rather than in Web because the Api's CORS must name the web origin
 * exactly, and the site build must know the API URL: creating the distribution first (here)
 * and deploying the site into it last (Web) breaks what would otherwise be a dependency cycle.
 */
export function Network({ stack, app }: StackContext) {
  const settings = stageSettings(app);

  const vpc = new ec2.Vpc(stack, "Vpc", {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: "private", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
    // removes the default security group's allow-all rules (CIS AWS 5.4)
    restrictDefaultSecurityGroup: true,
  });
  const privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  // Rejected flows only: the record that matters in an isolated VPC, at a fraction of ALL's volume.
  const flowLogGroup = new logs.LogGroup(stack, "FlowLogs", {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  vpc.addFlowLog("RejectedFlows", {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });

  const sg = (id: string, description: string) =>
    new ec2.SecurityGroup(stack, id, { vpc, description, allowAllOutbound: false });
  const securityGroups = {
    /** MSK brokers, and the ENIs of the Lambda MSK event-source pollers (Lambda attaches the cluster's groups). */
    kafka: sg("KafkaSecurityGroup", "MSK brokers and the Lambda MSK event-source pollers"),
    marketData: sg("MarketDataSecurityGroup", "market-data Fargate tasks"),
    strategy: sg("StrategySecurityGroup", "strategy Fargate tasks"),
    projector: sg("ProjectorSecurityGroup", "projector Fargate tasks"),
    /** The Aurora PostgreSQL cluster of the read side: reached by the projector only. */
    database: sg("DatabaseSecurityGroup", "Aurora PostgreSQL read side"),
    /** The API route Lambdas: they call the workers' read APIs and the RDS Data API. */
    gateway: sg("GatewaySecurityGroup", "API route Lambdas"),
    /** The API's command Lambdas (COMMAND_HANDLERS): they publish to MSK and read the read side. */
    commands: sg("CommandsSecurityGroup", "API command Lambdas (publish to MSK)"),
    riskConsumer: sg("RiskConsumerSecurityGroup", "risk/alerts consumer Lambda"),
    endpoints: sg("EndpointsSecurityGroup", "VPC interface endpoints"),
  };
  const { kafka, marketData, strategy, projector, database, gateway, commands, riskConsumer, endpoints } =
    securityGroups;
  const iam = ec2.Port.tcp(KAFKA_IAM_PORT);
  const https = ec2.Port.tcp(HTTPS_PORT);
  const postgres = ec2.Port.tcp(POSTGRES_PORT);

  // Workers, the command Lambdas and the event-source pollers -> MSK (SASL/IAM over TLS).
  for (const client of [marketData, strategy, projector, commands, kafka]) {
    kafka.addIngressRule(client, iam, "Kafka SASL/IAM over TLS");
    client.addEgressRule(kafka, iam, "Kafka SASL/IAM over TLS");
  }
  // API route Lambdas -> each worker's read API, nothing else.
  marketData.addIngressRule(gateway, ec2.Port.tcp(WORKER_PORTS.marketData), "market-data read API");
  gateway.addEgressRule(marketData, ec2.Port.tcp(WORKER_PORTS.marketData), "market-data read API");
  strategy.addIngressRule(gateway, ec2.Port.tcp(WORKER_PORTS.strategy), "strategy read API");
  gateway.addEgressRule(strategy, ec2.Port.tcp(WORKER_PORTS.strategy), "strategy read API");
  // The risk consumer asks the strategy worker which strategies run: a halt of any other is forged.
  strategy.addIngressRule(
    riskConsumer,
    ec2.Port.tcp(WORKER_PORTS.strategy),
    "running strategies, for the risk consumer",
  );
  riskConsumer.addEgressRule(strategy, ec2.Port.tcp(WORKER_PORTS.strategy), "running strategies (strategy read API)");
  // The projector writes the read side over the PostgreSQL protocol (TLS); the database sends nothing.
  database.addIngressRule(projector, postgres, "PostgreSQL from the projector");
  projector.addEgressRule(database, postgres, "PostgreSQL (the read side)");
  // AWS APIs through the interface endpoints.
  for (const client of [marketData, strategy, projector, kafka, riskConsumer, gateway, commands]) {
    endpoints.addIngressRule(client, https, "AWS APIs through VPC endpoints");
  }
  // The risk consumer only publishes to SNS, through its endpoint.
  riskConsumer.addEgressRule(endpoints, https, "SNS through its VPC endpoint");
  // The route Lambdas query the read side through the RDS Data API, and fetch the user pool's
  // token-signing keys from Cognito, through their endpoints.
  gateway.addEgressRule(endpoints, https, "RDS Data API and Cognito through their VPC endpoints");
  // The command Lambdas read the read side (an Idempotency-Key seen before) through the Data API,
  // the token-signing keys from Cognito, and resolve the brokers (GetBootstrapBrokers) through the
  // MSK endpoint; then they produce on 9098 (above). They call no worker.
  commands.addEgressRule(
    endpoints,
    https,
    "RDS Data API, Cognito and the MSK control plane through their VPC endpoints",
  );
  // Workers pull images (ECR API, then layers from S3) and ship logs; the pollers call Lambda and
  // STS and write failed batches to S3. S3 is a gateway endpoint, reached by route rather than by
  // security group, and its prefix list cannot be named in CloudFormation without a lookup: so
  // these groups may open 443 to any address. The subnets have no route to the internet, so the
  // only places 443 reaches are the endpoints and the S3 gateway.
  for (const client of [marketData, strategy, projector, kafka]) {
    client.addEgressRule(
      ec2.Peer.anyIpv4(),
      https,
      "VPC endpoints and the S3 gateway endpoint (no internet route exists)",
    );
  }

  vpc.addGatewayEndpoint("S3", { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [privateSubnets] });
  const interfaceEndpoints = {
    // Fargate image pulls
    EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
    EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    // awslogs driver: worker logs and the EMF metrics inside them
    Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    // MSK control plane: the workers and the command Lambdas resolve bootstrap brokers from MSK_CLUSTER_ARN
    Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
    // the risk consumer's alerts
    Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
    // the MSK event-source pollers invoke the function and assume its role from inside the VPC
    Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
    Sts: ec2.InterfaceVpcEndpointAwsService.STS,
    // ECS reads the database secret's password for the projector's container at task start
    SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    // the route Lambdas' queries of the read side (RDS Data API)
    RdsData: ec2.InterfaceVpcEndpointAwsService.RDS_DATA,
    // the route Lambdas verify each token again (aws-jwt-verify), with the user pool's signing
    // keys from https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json (Cognito
    // user pools' PrivateLink service; aws-cdk-lib 2.224 has no constant for it yet)
    CognitoIdp: new ec2.InterfaceVpcEndpointAwsService("cognito-idp"),
  };
  for (const [id, service] of Object.entries(interfaceEndpoints)) {
    vpc.addInterfaceEndpoint(id, {
      service,
      subnets: privateSubnets,
      securityGroups: [endpoints],
      open: false,
      privateDnsEnabled: true,
    });
  }

  const edge = settings.dev ? undefined : webEdge(stack, settings);
  if (edge) stack.addOutputs({ WebUrl: edge.origin });
  return { vpc, privateSubnets, securityGroups, edge, settings };
}

/** The web's bucket (private, reached only by CloudFront through origin access control) and distribution. */
function webEdge(stack: StackContext["stack"], settings: ReturnType<typeof stageSettings>) {
  const bucket = new s3.Bucket(stack, "WebBucket", {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // the site is rebuilt from git on every deploy: old objects are not worth keeping
    versioned: false,
    removalPolicy: settings.removalPolicy,
    autoDeleteObjects: !settings.production,
  });
  // A single-page app: unknown paths are client routes, answered with index.html.
  const spaFallback = (httpStatus: number): cloudfront.ErrorResponse => ({
    httpStatus,
    responseHttpStatus: 200,
    responsePagePath: "/index.html",
    ttl: Duration.seconds(0),
  });
  // The dashboard's headers as every server of it sends them; here the API is another origin (the
  // HTTP API's execute-api host, which the Api stack creates after this one: named by pattern).
  // It signs in with Cognito's user-pool API (InitiateAuth) from the browser: that origin too.
  const headers = dashboardSecurityHeaders([
    `https://*.execute-api.${stack.region}.amazonaws.com`,
    `https://cognito-idp.${stack.region}.amazonaws.com`,
    // the stream: AppSync Events' WebSocket endpoint (the Stream stack's API, named by pattern)
    `wss://*.appsync-realtime-api.${stack.region}.amazonaws.com`,
  ]);
  const responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(stack, "WebSecurityHeaders", {
    comment: `${settings.prefix} dashboard: CSP, no framing, no sniffing, no referrer, HSTS`,
    securityHeadersBehavior: {
      contentSecurityPolicy: { contentSecurityPolicy: headers["content-security-policy"]!, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
    },
  });
  const distribution = new cloudfront.Distribution(stack, "WebDistribution", {
    comment: `${settings.prefix} web`,
    defaultRootObject: "index.html",
    defaultBehavior: {
      origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      // honours the Cache-Control the site deployer writes: html no-cache, hashed assets immutable
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy,
      compress: true,
    },
    errorResponses: [spaFallback(403), spaFallback(404)],
    httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
  });
  return { bucket, distribution, origin: `https://${distribution.distributionDomainName}` };
}
