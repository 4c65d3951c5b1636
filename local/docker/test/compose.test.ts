import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { dashboardSecurityHeaders } from "@tickflow/runtime";
import { parse } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const COMPOSE_FILE = path.join(ROOT, "docker-compose.local.yml");

/** A `ports` entry: the short syntax the file uses, or the long syntax `config` may print. */
type PortEntry =
  string | { host_ip?: string; published?: string | number; target: number; protocol?: string; mode?: string };

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  ports?: string[];
  network_mode?: string;
  profiles?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string | number>;
  volumes?: string[];
  command?: string[];
  user?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}
/** What `docker-compose config` prints: the same, with ports in either syntax. */
interface ResolvedComposeFile {
  services: Record<string, Omit<ComposeService, "ports"> & { ports?: PortEntry[] }>;
}

// merge: resolves the `<<: *anchor` keys the file uses for shared settings
const compose = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);

/** DESIGN.md's "Services and ports", by Compose service name. */
const PORTS: Record<string, number> = {
  kafka: 9092,
  "market-data": 7001,
  strategy: 7002,
  projector: 7003,
  postgres: 5432,
  gateway: 8000,
  web: 8080,
  prometheus: 9091,
  grafana: 3000,
  "kafka-ui": 8081,
};

const hostPort = (mapping: string) => Number(mapping.split(":").at(-2));
const containerPort = (mapping: string) => Number(mapping.split(":").at(-1));

/**
 * The host address a `ports` entry binds, or null when it has none (Docker then listens on every
 * interface). Short syntax is `[ip:][published:]target[/protocol]`, an IPv6 address in brackets;
 * Compose v1's `config` prints entries with an address that way and the rest in long syntax,
 * the v2 plugin prints long syntax throughout.
 */
function hostIp(entry: PortEntry): string | null {
  if (typeof entry !== "string") return entry.host_ip ?? null;
  const bound = /^(\[[^\]]+\]|[^:]+):[^:]*:[^:]+$/.exec(entry);
  return bound ? bound[1]!.replace(/^\[|\]$/g, "") : null;
}

/** Every published port that does not bind the loopback address, as `service ports-entry`. */
function notOnLoopback(file: { services: Record<string, { ports?: PortEntry[] }> }): string[] {
  return Object.entries(file.services).flatMap(([name, s]) =>
    (s.ports ?? [])
      .filter((p) => hostIp(p) !== "127.0.0.1")
      .map((p) => `${name} ${typeof p === "string" ? p : JSON.stringify(p)}`),
  );
}

const KAFKA_UI_PASSWORD = "${KAFKA_UI_PASSWORD:?set KAFKA_UI_PASSWORD}";

describe("docker-compose.local.yml", () => {
  it("validates against the Compose specification's JSON schema", () => {
    // Prepare
    // `$schema` names draft-07 by an https URL Ajv does not alias; Ajv's default dialect is draft-07
    const { $schema: _dialect, ...schema } = JSON.parse(
      readFileSync(path.join(ROOT, "local/docker/compose-spec.json"), "utf8"),
    ) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    // Act
    const validate = ajv.compile(schema);
    const valid = validate(parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }));
    // Assess
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("passes `docker-compose config` (Debian's v1, or the Compose v2 plugin), publishes only on 127.0.0.1, and refuses to start Grafana or Kafka UI without a password", () => {
    const found = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
    if (found.error) {
      if (process.env.CI === "true")
        throw new Error(
          "docker-compose is missing on CI: .ci/run must `apt-get install -y docker-compose`; the GitHub workflow links the runner's Compose v2 plugin",
        );
      console.warn(
        "docker-compose not installed: `apt-get install docker-compose` (Debian) to run this check; the schema check above still ran",
      );
      return;
    }
    const run = (env: Record<string, string | undefined>) =>
      spawnSync("docker-compose", ["-f", COMPOSE_FILE, "--profile", "local", "config"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...env },
      });
    const passwords = { GRAFANA_ADMIN_PASSWORD: "a-test-password", KAFKA_UI_PASSWORD: "another-test-password" };
    const ok = run(passwords);
    // the resolved file on stdout is the verdict; stderr may carry warnings (versions differ in what they warn about)
    expect(ok.status, ok.stderr).toBe(0);
    const resolved = parse(ok.stdout) as ResolvedComposeFile;
    expect(Object.keys(resolved.services).sort()).toEqual(services.map(([name]) => name).sort());
    // what Docker will be asked for, after merge keys, interpolation and each version's rewriting
    expect(notOnLoopback(resolved)).toEqual([]);
    expect(Object.values(resolved.services).flatMap((s) => s.ports ?? [])).toHaveLength(Object.keys(PORTS).length);
    expect(resolved.services["kafka-ui"]!.environment?.SPRING_SECURITY_USER_PASSWORD).toBe(passwords.KAFKA_UI_PASSWORD);
    for (const name of Object.keys(passwords) as (keyof typeof passwords)[]) {
      const missing = run({ ...passwords, [name]: undefined });
      expect(missing.status, name).not.toBe(0);
      expect(missing.stderr).toContain(`set ${name}`);
      const empty = run({ ...passwords, [name]: "" });
      expect(empty.status, `${name} empty`).not.toBe(0);
    }
  });

  it("puts every service in the `local` profile, with a pinned image or a build, and a healthcheck", () => {
    for (const [name, s] of services) {
      expect({ name, profiles: s.profiles }).toEqual({ name, profiles: ["local"] });
      expect({ name, healthcheck: Boolean(s.healthcheck?.test) }).toEqual({ name, healthcheck: true });
      if (!s.build) {
        expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
        expect(s.image, name).not.toMatch(/:latest$/);
      }
    }
  });

  it("runs Apache Kafka 3.9.x in KRaft mode from the official image", () => {
    const kafka = compose.services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).toBe("broker,controller");
  });

  it("starts each service only when what it depends on is healthy", () => {
    for (const [name, s] of services) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dependency, condition }).toEqual({ name, dependency, condition: "service_healthy" });
        expect(compose.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
      }
    }
    expect(Object.keys(compose.services.gateway!.depends_on ?? {}).sort()).toEqual([
      "market-data",
      "projector",
      "strategy",
    ]);
    expect(Object.keys(compose.services.projector!.depends_on ?? {}).sort()).toEqual(["postgres", "strategy"]);
  });

  it("publishes the ports DESIGN.md gives", () => {
    for (const [name, port] of Object.entries(PORTS)) {
      const mappings = compose.services[name]?.ports ?? [];
      expect({ name, published: mappings.map(hostPort) }).toEqual({ name, published: [port] });
    }
    expect(Object.keys(compose.services).sort()).toEqual(Object.keys(PORTS).sort());
  });

  it("publishes every port on 127.0.0.1 only, and no service shares the host's network", () => {
    // Kafka there has no authentication and the workers' APIs change state: another machine must not reach them
    expect(notOnLoopback(compose)).toEqual([]);
    expect(services.filter(([, s]) => s.network_mode !== undefined).map(([name]) => name)).toEqual([]);
    // the address Kafka advertises to host tools is the one it is published on
    expect(String(compose.services.kafka!.environment?.KAFKA_ADVERTISED_LISTENERS).split(",")).toContain(
      `HOST://127.0.0.1:${PORTS.kafka}`,
    );
  });

  it("tells a port bound to the loopback address from one bound to every interface", () => {
    expect(
      [
        "127.0.0.1:8081:8080",
        "127.0.0.1:9092:9092/tcp",
        "[::1]:80:80",
        "0.0.0.0:80:80",
        "8081:8080",
        "9092",
        "127.0.0.1::80",
      ].map(hostIp),
    ).toEqual(["127.0.0.1", "127.0.0.1", "::1", "0.0.0.0", null, null, "127.0.0.1"]);
    expect(
      [
        { host_ip: "127.0.0.1", published: "8081", target: 8080 },
        { published: 8081, target: 8080 },
      ].map(hostIp),
    ).toEqual(["127.0.0.1", null]);
    expect(
      notOnLoopback({
        services: { a: { ports: ["127.0.0.1:1:1", "2:2"] }, b: { ports: [{ published: 3, target: 3 }] } },
      }),
    ).toEqual(["a 2:2", 'b {"published":3,"target":3}']);
  });

  it("puts Kafka UI behind its login form, with the password from the environment", () => {
    const environment = compose.services["kafka-ui"]!.environment ?? {};
    expect(compose.services["kafka-ui"]!.image).toMatch(/^ghcr\.io\/kafbat\/kafka-ui:v\d+\.\d+\.\d+$/);
    expect(environment.AUTH_TYPE).toBe("LOGIN_FORM");
    expect(environment.SPRING_SECURITY_USER_NAME).toMatch(/^\S+$/);
    expect(environment.SPRING_SECURITY_USER_PASSWORD).toBe(KAFKA_UI_PASSWORD);
    // a UI that may rewrite its own configuration could switch the login off
    expect(environment.DYNAMIC_CONFIG_ENABLED).toBe("false");
    expect(environment.KAFKA_CLUSTERS_0_READONLY).toBe("true");
  });

  it("has a build context and Dockerfile for every built service", () => {
    for (const [name, s] of services.filter(([, s]) => s.build)) {
      const context = path.resolve(ROOT, s.build!.context);
      expect(existsSync(context), `${name} context`).toBe(true);
      expect(existsSync(path.join(context, s.build!.dockerfile ?? "Dockerfile")), `${name} Dockerfile`).toBe(true);
    }
    expect(
      services
        .filter(([, s]) => s.build)
        .map(([n]) => n)
        .sort(),
    ).toEqual(["gateway", "market-data", "projector", "strategy", "web"]);
  });

  it("gives Prometheus the Compose config, whose targets are Compose services on their ports", () => {
    const prometheus = compose.services.prometheus!;
    const mount = prometheus.volumes!.find((v) => v.startsWith("./monitoring/prometheus:"))!;
    const [hostDir, containerDir] = mount.split(":") as [string, string];
    const configFlag = prometheus.command!.find((c) => c.startsWith("--config.file="))!;
    const configPath = configFlag.slice("--config.file=".length);
    expect(configPath.startsWith(`${containerDir}/`)).toBe(true);
    const hostConfig = path.resolve(ROOT, hostDir, configPath.slice(containerDir.length + 1));
    expect(path.basename(hostConfig)).toBe("prometheus.compose.yml");
    expect(prometheus.command).toContain(`--web.listen-address=:${PORTS.prometheus}`);
    if (!existsSync(hostConfig))
      throw new Error(`${path.relative(ROOT, hostConfig)} is missing (monitoring/prometheus is written alongside)`);
    const config = parse(readFileSync(hostConfig, "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(["gateway:8000", "market-data:7001", "projector:7003", "strategy:7002"]);
    for (const target of targets) {
      const [host, port] = target.split(":") as [string, string];
      const service = compose.services[host];
      expect(service, target).toBeDefined();
      expect(service!.ports!.map(containerPort), target).toContain(Number(port));
    }
  });

  it("provisions Grafana from monitoring/grafana with the admin password from the environment", () => {
    const grafana = compose.services.grafana!;
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(
      "${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD}",
    );
    expect(grafana.environment?.TICKFLOW_PROMETHEUS_URL).toBe(`http://prometheus:${PORTS.prometheus}`);
    const mounts = Object.fromEntries(
      grafana.volumes!.filter((v) => v.startsWith("./")).map((v) => v.split(":").slice(0, 2) as [string, string]),
    );
    expect(mounts["./monitoring/grafana/provisioning"]).toBe("/etc/grafana/provisioning");
    expect(mounts["./monitoring/grafana/dashboards"]).toBe(grafana.environment?.TICKFLOW_DASHBOARDS_DIR);
  });
});

describe("Dockerfiles", () => {
  const dockerfiles = services
    .filter(([, s]) => s.build)
    .map(([name, s]) => [name, path.resolve(ROOT, s.build!.context, s.build!.dockerfile ?? "Dockerfile")] as const);

  /** FROM lines with ARG defaults substituted. */
  function stages(file: string): { image: string; lines: string[] }[] {
    const text = readFileSync(file, "utf8").replace(/\\\n/g, " ");
    const args = Object.fromEntries([...text.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
    const out: { image: string; lines: string[] }[] = [];
    for (const line of text.split("\n")) {
      const from = /^FROM\s+(\S+)/.exec(line);
      if (from)
        out.push({
          image: from[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? `\${${name}}`),
          lines: [],
        });
      else out.at(-1)?.lines.push(line);
    }
    return out;
  }

  it.each(dockerfiles)("%s: multi-stage on pinned base images", (_name, file) => {
    const all = stages(file);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const { image } of all) {
      expect(image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it.each(dockerfiles)("%s: the runtime stage runs as a non-root user and has a HEALTHCHECK", (_name, file) => {
    const runtime = stages(file).at(-1)!;
    const users = runtime.lines.filter((l) => /^USER\s+/.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.lines.some((l) => /^HEALTHCHECK\s+/.test(l))).toBe(true);
  });

  it("keeps the build context small (.dockerignore drops node_modules and git)", () => {
    const ignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8");
    for (const entry of ["**/node_modules", ".git", ".sst", ".build"]) expect(ignore.split("\n")).toContain(entry);
  });

  it("bundles a worker into one file that runs with no node_modules beside it", () => {
    // Prepare: what the image's build stage does
    const out = mkdtempSync(path.join(tmpdir(), "tickflow-bundle-"));
    try {
      execFileSync(
        process.execPath,
        [
          path.join(ROOT, "local/docker/bundle.mjs"),
          path.join(ROOT, "packages/market-data/src/main.ts"),
          path.join(out, "main.mjs"),
        ],
        { cwd: ROOT },
      );
      // Act: start it from an empty folder with no broker configured
      const run = spawnSync(process.execPath, [path.join(out, "main.mjs")], {
        cwd: out,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "" },
        timeout: 30_000,
      });
      // Assess: it loaded every dependency and failed on configuration, as main.ts does (exit 2)
      expect(run.status).toBe(2);
      expect(run.stdout).toContain("KAFKA_BROKERS");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("the dashboard's nginx (the web image)", () => {
  const dir = path.join(ROOT, "local/docker/nginx");
  const conf = readFileSync(path.join(dir, "web.conf"), "utf8");
  const snippet = readFileSync(path.join(dir, "security-headers.conf"), "utf8");

  it("sends the dashboard's security headers, with the API origin the image is built for (VITE_API_URL), as the TypeScript definition says", () => {
    const apiUrl = String(compose.services.web!.build!.args!.VITE_API_URL);
    const apiOrigins = [new URL(apiUrl).origin, new URL(apiUrl).origin.replace("localhost", "127.0.0.1")];
    const sent = Object.fromEntries(
      [...snippet.matchAll(/^add_header (\S+) "([^"]*)" always;$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(sent).toEqual(dashboardSecurityHeaders(apiOrigins));
  });

  it("includes them in every location that adds a header of its own (nginx inherits none into such a location)", () => {
    const locations = [...conf.matchAll(/location [^{]+\{([^}]*)\}/g)].map((m) => m[1]!);
    expect(locations.length).toBeGreaterThan(1);
    for (const body of locations)
      if (body.includes("add_header")) expect(body).toContain("include /etc/nginx/snippets/security-headers.conf;");
    expect(readFileSync(path.join(ROOT, "web/Dockerfile"), "utf8")).toContain(
      "COPY local/docker/nginx/security-headers.conf /etc/nginx/snippets/security-headers.conf",
    );
  });
});
