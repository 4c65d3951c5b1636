import { StaticSite, use, type StackContext } from "sst/constructs";
import { Api } from "./api";
import { Network } from "./network";

/**
 * The dashboard: `web/` built by Vite with the API URL injected as VITE_API_URL, uploaded to the
 * bucket behind the distribution the Network stack made (so the Api could name its origin in
 * CORS before this build knew the API's URL). Hashed assets are cached for a year, HTML never.
 */
export function Web({ stack }: StackContext) {
  const { edge } = use(Network);
  const { api } = use(Api);

  const site = new StaticSite(stack, "Site", {
    path: "web",
    buildCommand: "npm run build -w @tickflow/web",
    buildOutput: "dist",
    environment: { VITE_API_URL: api.url },
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
