/** A route as every router table here writes it: a method and a path with `{name}` parameters. */
export interface RouteSpec {
  readonly method: string;
  /** `/quotes/{symbol}`: a parameter takes one path segment. */
  readonly path: string;
}

interface Compiled<R> {
  route: R;
  pattern: RegExp;
  names: string[];
}

/** What a request's method and path resolve to. Parameters are the raw, still percent-encoded segments. */
export type Resolution<R> =
  | { kind: "found"; route: R; params: Record<string, string> }
  | { kind: "method-not-allowed"; allow: string[]; paths: R[] }
  | { kind: "not-found" };

/**
 * Matches request paths against a route table: the workers' read APIs and the gateway's public
 * API (the same table API Gateway is configured with) both route through it.
 */
export class Router<R extends RouteSpec> {
  private readonly compiled: Compiled<R>[];

  constructor(readonly routes: readonly R[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split(/(\{[A-Za-z]+\})/)
        .map((part) => {
          const param = /^\{([A-Za-z]+)\}$/.exec(part);
          if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(param[1]!);
          return "([^/]+)";
        })
        .join("");
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /** The routes whose path matches, whatever their method. */
  forPath(path: string): R[] {
    return this.compiled.filter((c) => c.pattern.test(path)).map((c) => c.route);
  }

  resolve(method: string, path: string): Resolution<R> {
    const candidates = this.compiled.filter((c) => c.pattern.test(path));
    const match = candidates.find((c) => c.route.method === method);
    if (match) {
      const values = match.pattern.exec(path)!.slice(1);
      return {
        kind: "found",
        route: match.route,
        params: Object.fromEntries(match.names.map((name, i) => [name, values[i]!])),
      };
    }
    if (candidates.length > 0)
      return {
        kind: "method-not-allowed",
        allow: [...new Set(candidates.map((c) => c.route.method))],
        paths: candidates.map((c) => c.route),
      };
    return { kind: "not-found" };
  }
}
