import { StaticSite, use, type StackContext } from "sst/constructs";
import { Api } from "./api";
import { Auth } from "./auth";
import { Network } from "./network";
import { Stream } from "./stream";

/**
 * The dashboard: `web/` built by Vite with the API URL injected as VITE_API_URL and the Cognito
 * user pool it signs in with as VITE_COGNITO_USER_POOL_ID, VITE_COGNITO_CLIENT_ID and
 * VITE_COGNITO_REGION (public identifiers, not secrets: a browser client has none), the stream's
 * AppSync Events endpoint as VITE_STREAM_URL and VITE_STREAM_HOST, uploaded to the
 * bucket behind the distribution the Network stack made (so the Api could name its origin in
 * CORS before this build knew the API's URL). Hashed assets are cached for a year, HTML never.
 */
export function Web({ stack }: StackContext) {
  const { edge } = use(Network);
  const { api } = use(Api);
  const auth = use(Auth);
  const stream = use(Stream);

  const site = new StaticSite(stack, "Site", {
    path: "web",
    buildCommand: "npm run build -w @tickflow/web",
    buildOutput: "dist",
    environment: {
      VITE_API_URL: api.url,
      VITE_COGNITO_USER_POOL_ID: auth.userPool.userPoolId,
      VITE_COGNITO_CLIENT_ID: auth.dashboardClient.userPoolClientId,
      VITE_COGNITO_REGION: auth.region,
      // the stream on AWS: AppSync Events' WebSocket URL, and its HTTP domain, which the
      // connection's authorization header names as `host` (stacks/README.md, The stream on AWS)
      VITE_STREAM_URL: stream.realtimeUrl,
      VITE_STREAM_HOST: stream.httpDomain,
    },
    // SST writes Vite env typings; keep them in SST's own output folder, out of the web package
    vite: { types: "../.sst/types/web-env.d.ts" },
    // `sst dev`: the site runs on this machine (npm start serves it on 8080)
    dev: { url: "http://localhost:8080" },
    ...(edge ? { cdk: { bucket: edge.bucket, distribution: edge.distribution } } : {}),
  });

  // deployed stages output the URL from the Network stack, which owns the distribution
  if (!edge) stack.addOutputs({ WebUrl: site.url ?? "" });
  return { site };
}
