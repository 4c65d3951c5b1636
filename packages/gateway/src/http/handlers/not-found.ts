import { HttpProblem, UNMATCHED_ROUTE } from "@tickflow/runtime";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { GatewayDeps } from "../deps";
import { httpHandler, lambdaEntry, type HttpHandler } from "../endpoint";
import { ROUTER } from "../routes";

/** The routes of the request's path (whatever their method); none for an unknown path. */
const candidates = (event: APIGatewayProxyEventV2) => ROUTER.forPath(event.rawPath);

/**
 * The `$default` route (DEFAULT_ROUTE_HANDLER): every request that matches no route of ROUTES.
 * A path no route has is 404 route-not-found; a known path with another method is 405
 * method-not-allowed with Allow. Problem+json with CORS like every route, so a browser can read
 * it. On AWS the HTTP API invokes it; locally the adapter does, for the same requests.
 */
export function createNotFound(deps: GatewayDeps): HttpHandler {
  return httpHandler(
    deps,
    (event) => candidates(event)[0]?.path ?? UNMATCHED_ROUTE,
    async (event) => {
      const method = event.requestContext.http.method;
      const path = event.rawPath;
      const allowed = [...new Set(candidates(event).map((r) => r.method))];
      // a route of the table that reaches this handler is not deployed here (the local adapter's token route on AWS)
      if (allowed.includes(method as (typeof allowed)[number]))
        throw new HttpProblem(404, "route-not-found", `${method} ${path} is not served by this deployment`);
      if (allowed.length > 0)
        throw new HttpProblem(
          405,
          "method-not-allowed",
          `${method} is not allowed on ${path}`,
          {},
          { headers: { allow: allowed.join(", ") } },
        );
      throw new HttpProblem(404, "route-not-found", `no route for ${method} ${path}`);
    },
  );
}

export const handler = lambdaEntry(createNotFound);
