import type { SSTConfig } from "sst";
import { Api } from "./stacks/api";
import { Auth } from "./stacks/auth";
import { Database } from "./stacks/database";
import { Network } from "./stacks/network";
import { Observability } from "./stacks/observability";
import { Stream } from "./stacks/stream";
import { Streaming } from "./stacks/streaming";
import { Web } from "./stacks/web";
import { Workers } from "./stacks/workers";

/**
 * Tickflow on AWS (stacks/README.md): `npx sst deploy --stage <stage>`. Stacks deploy in this
 * order; each takes what it needs from the earlier ones with `use()`.
 */
export default {
  config(input) {
    return {
      name: "tickflow",
      region: input.region ?? "us-east-1",
      ...(input.stage ? { stage: input.stage } : {}),
    };
  },
  stacks(app) {
    // Nothing of a non-production stage outlives `sst remove`. Production sets no default: its
    // stateful resources (clusters, database secret, keys, buckets, log groups) are retained explicitly
    // (stacks/settings.ts), and the stateless rest is removed with the stage.
    if (app.stage !== "prod" && app.stage !== "production") app.setDefaultRemovalPolicy("destroy");
    app
      .stack(Network)
      .stack(Auth)
      .stack(Streaming)
      .stack(Database)
      .stack(Workers)
      .stack(Api)
      .stack(Stream)
      .stack(Web)
      .stack(Observability);
  },
} satisfies SSTConfig;
