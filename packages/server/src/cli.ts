import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createDemoTools, DEMO_TOOL_APPROVAL } from "./demo-tools";
import { MemorySessionStore } from "./memory-session-store";
import { MemoryStreamStore } from "./memory-stream-store";
import { otlpTracingFromEnv } from "./observability/cli-otel";
import { createPrometheusMetrics } from "./observability/prometheus-metrics";
import {
  createJsonLogger,
  LOG_LEVELS,
  type LogLevel,
  type ReplayLogger,
} from "./observability/replay-logger";
import {
  HISTORY_USAGE,
  type HistoryCliOptions,
  historyStoreOptions,
  migrateCommand,
  withPostgresHistory,
} from "./postgres/cli-postgres";
import { DEFAULT_REDIS_URL, type RedisSentinelTarget } from "./redis-connection";
import { createRedisStores, type RedisStores } from "./redis-stores";
import type { ReplayServerOptions } from "./replay-options";
import { createReplayServer } from "./replay-server";
import { createScriptedModel } from "./scripted-model";

/** Parsed command-line options of `chat-replay-server`; tuning fields are set only when given. */
export interface CliOptions extends HistoryCliOptions {
  readonly port: number;
  readonly host: string;
  /** Path prefix of every route (`--base-path /chat` serves `/chat/api/sessions`). */
  readonly basePath?: string;
  /** Where sessions and buffers live; absent = memory. */
  readonly store?: "memory" | "redis";
  /** Redis URL (only with `store: "redis"`). */
  readonly redisUrl?: string;
  /** Key prefix of every Redis key (only with `store: "redis"`). */
  readonly keyPrefix?: string;
  /** `redisUrl` is a seed node of a Redis Cluster (only with `store: "redis"`). */
  readonly redisCluster?: boolean;
  /** Sentinels (`host:port`) of a Sentinel-managed primary (only with `store: "redis"`). */
  readonly redisSentinels?: readonly string[];
  /** The master name the sentinels monitor (default `mymaster`). */
  readonly redisSentinelName?: string;
  readonly leaseMs?: number;
  readonly keepaliveMs?: number;
  readonly maxLength?: number;
  readonly bufferTtlMs?: number;
  readonly maxStreamsPerSession?: number;
  readonly snapshotEvery?: number;
  readonly maxSessionsPerOwner?: number;
  readonly maxTurnsPerMinute?: number;
  readonly maxHistoryBytes?: number;
  readonly maxStreamsPerOwner?: number;
  readonly maxStreams?: number;
  readonly sessionTtlMs?: number;
  readonly scriptedMaxWords?: number;
  /** Token-signing secrets, the first signing (from --secret or CHAT_REPLAY_SECRET, comma-separated). */
  readonly secrets?: readonly string[];
  /** Extra origins allowed to write; `corsOrigins` also get CORS. */
  readonly allowedOrigins?: readonly string[];
  readonly corsOrigins?: readonly string[];
  /** `false` (`--no-metrics`): no Prometheus metrics at `/metrics` (served by default). */
  readonly metrics?: false;
  /** Level of the JSON log lines on stderr (`--log-level`, `$CHAT_REPLAY_LOG_LEVEL`; default info). */
  readonly logLevel?: LogLevel;
}

const USAGE = `Usage: chat-replay-server [--port N] [--host HOST] [--store memory|redis] [options]

  --port N                  port to listen on (0 = ephemeral; default 8787 or $PORT)
  --host HOST               interface to bind (default 127.0.0.1)
  --base-path P             serve every route under this prefix (e.g. /chat); default none
  --store memory|redis      where sessions and turn buffers live (default memory); redis lets
                            several instances serve the same sessions
  --redis-url URL           Redis for --store redis (default $REDIS_URL or ${DEFAULT_REDIS_URL})
  --redis-cluster           --redis-url is one node of a Redis Cluster (keys hash-tagged per session)
  --redis-sentinel H:P,...  the sentinels of a Sentinel-managed primary (or $REDIS_SENTINELS);
                            connections follow failovers. Credentials of the Redis servers, if
                            any, come from --redis-url (redis://user:password@/)
  --redis-sentinel-name N   the master name the sentinels monitor (default mymaster or
                            $REDIS_SENTINEL_NAME)
  --key-prefix P            first segment of every Redis key (default chat-replay); instances
                            that share sessions use the same prefix
${HISTORY_USAGE}
  --lease-ms N              a running turn whose runner misses heartbeats this long is failed
                            (default 10000)
  --keepalive-ms N          SSE keepalive comment after this long without frames (default 10000)
  --max-len N               entries a turn buffer keeps at least once trimmed; trimming drops
                            only entries already in the turn's snapshot (default 10000)
  --snapshot-every N        entries between refreshes of a turn's snapshot (default max-len/4,
                            at most 256)
  --buffer-ttl-ms N         ended turns' buffers are kept this long (default 300000)
  --max-streams-per-session N  concurrent SSE readers per session (default 32)
  --max-streams-per-owner N    concurrent SSE readers per owner (default 64)
  --max-streams N           concurrent SSE readers of this process (default 10000)
  --max-sessions-per-owner N   live sessions per owner (default 1000)
  --max-turns-per-minute N  new turns per owner per minute (default 60)
  --max-history-bytes N     stored history per session; new turns beyond it get 429 (default 8 MiB)
  --session-ttl-ms N        idle sessions (and their history) expire after this (default 30 days)
  --scripted-max-words N    bound of the demo model's [[words=N]] (default 5000)
  --secret S                signs owner tokens and share links (>= 16 chars; or $CHAT_REPLAY_SECRET;
                            comma-separated to rotate: the first signs, all verify). Without one a
                            random per-process secret is used: tokens die with the process, and
                            several instances cannot share sessions
  --allowed-origin URL      another origin allowed to write (repeatable); default: same origin only
  --cors-origin URL         a UI origin on another site: CORS with credentials (repeatable)
  --no-metrics              do not serve Prometheus metrics at /metrics (served by default)
  --log-level L             debug|info|warn|error|silent: JSON log lines on stderr (default info)
  --help                    show this help

Always served, outside --base-path and without credentials: GET /healthz (the process is up)
and GET /readyz (every store answers; 503 naming the one that does not). Traces: set
OTEL_EXPORTER_OTLP_ENDPOINT to export spans over OTLP/HTTP (needs the optional
@opentelemetry/sdk-trace, @opentelemetry/exporter-trace-otlp-http, @opentelemetry/resources).

chat-replay-server migrate --help: the Postgres history store's schema migrations`;

const NUMERIC_FLAGS = {
  "lease-ms": "leaseMs",
  "keepalive-ms": "keepaliveMs",
  "max-len": "maxLength",
  "buffer-ttl-ms": "bufferTtlMs",
  "max-streams-per-session": "maxStreamsPerSession",
  "snapshot-every": "snapshotEvery",
  "max-sessions-per-owner": "maxSessionsPerOwner",
  "max-turns-per-minute": "maxTurnsPerMinute",
  "max-history-bytes": "maxHistoryBytes",
  "max-streams-per-owner": "maxStreamsPerOwner",
  "max-streams": "maxStreams",
  "session-ttl-ms": "sessionTtlMs",
  "scripted-max-words": "scriptedMaxWords",
} as const;

/** Parses argv into options; throws a message suitable for the terminal on bad input. */
export function parseCliOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): CliOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "base-path": { type: "string" },
      store: { type: "string" },
      "redis-url": { type: "string" },
      "key-prefix": { type: "string" },
      "history-store": { type: "string" },
      "database-url": { type: "string" },
      "redis-cluster": { type: "boolean" },
      "redis-sentinel": { type: "string" },
      "redis-sentinel-name": { type: "string" },
      secret: { type: "string" },
      "allowed-origin": { type: "string", multiple: true },
      "cors-origin": { type: "string", multiple: true },
      metrics: { type: "boolean" },
      "log-level": { type: "string" },
      ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: "string" as const }])),
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowNegative: true,
  });
  if (values.help) return "help";
  const rawPort = values.port ?? env.PORT ?? "8787";
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) throw new Error(`--port must be 0-65535, got "${rawPort}"`);
  return {
    port,
    host: values.host ?? "127.0.0.1",
    ...(values["base-path"] === undefined ? {} : { basePath: values["base-path"] }),
    ...storeOptions(values, env),
    ...historyStoreOptions(values, env),
    ...numericOptions(values as unknown as Record<string, string | undefined>),
    ...secretOptions(values.secret ?? env.CHAT_REPLAY_SECRET),
    ...originOptions(values["allowed-origin"], values["cors-origin"]),
    ...(values.metrics === false ? { metrics: false as const } : {}),
    ...logLevelOf(values["log-level"] ?? env.CHAT_REPLAY_LOG_LEVEL),
  };
}

function logLevelOf(raw: string | undefined): Pick<CliOptions, "logLevel"> {
  if (raw === undefined || raw === "") return {};
  const level = LOG_LEVELS.find((known) => known === raw);
  if (!level) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return { logLevel: level };
}

function secretOptions(raw: string | undefined): Pick<CliOptions, "secrets"> {
  if (raw === undefined || raw === "") return {};
  const secrets = raw.split(",").map((secret) => secret.trim());
  if (secrets.some((secret) => secret.length < 16))
    throw new Error("--secret: each secret needs >= 16 characters");
  return { secrets };
}

function originOptions(
  allowed: readonly string[] | undefined,
  cors: readonly string[] | undefined,
): Pick<CliOptions, "allowedOrigins" | "corsOrigins"> {
  for (const origin of [...(allowed ?? []), ...(cors ?? [])]) {
    if (!/^https?:\/\/[^/]+$/.test(origin))
      throw new Error(`origins look like https://host[:port], got "${origin}"`);
  }
  return {
    ...(allowed === undefined ? {} : { allowedOrigins: allowed }),
    ...(cors === undefined ? {} : { corsOrigins: cors }),
  };
}

function storeOptions(
  values: {
    store?: string;
    "redis-url"?: string;
    "key-prefix"?: string;
    "redis-cluster"?: boolean;
    "redis-sentinel"?: string;
    "redis-sentinel-name"?: string;
  },
  env: NodeJS.ProcessEnv,
): Pick<
  CliOptions,
  "store" | "redisUrl" | "keyPrefix" | "redisCluster" | "redisSentinels" | "redisSentinelName"
> {
  const store = values.store;
  if (store !== undefined && store !== "memory" && store !== "redis") {
    throw new Error(`--store must be memory or redis, got "${store}"`);
  }
  if (store !== "redis") {
    if (
      values["redis-url"] !== undefined ||
      values["key-prefix"] !== undefined ||
      values["redis-cluster"] ||
      values["redis-sentinel"] !== undefined ||
      values["redis-sentinel-name"] !== undefined
    ) {
      throw new Error("--redis-url, --redis-cluster, --redis-sentinel and --key-prefix need --store redis");
    }
    return store === undefined ? {} : { store };
  }
  const sentinels = sentinelOptions(values, env);
  const redisUrl = values["redis-url"] ?? (env.REDIS_URL || DEFAULT_REDIS_URL);
  if (!/^rediss?:\/\//.test(redisUrl))
    throw new Error(`--redis-url must be a redis:// URL, got "${redisUrl}"`);
  const keyPrefix = values["key-prefix"];
  if (keyPrefix !== undefined && !/^[\w.:-]{1,100}$/.test(keyPrefix)) {
    throw new Error(`--key-prefix must be 1-100 letters, digits or ._:-, got "${keyPrefix}"`);
  }
  if (sentinels && values["redis-cluster"])
    throw new Error("--redis-sentinel and --redis-cluster exclude each other");
  return {
    store,
    redisUrl,
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(values["redis-cluster"] ? { redisCluster: true } : {}),
    ...(sentinels ?? {}),
  };
}

/** `--redis-sentinel h:p,h:p` (or $REDIS_SENTINELS) and the master's name, checked. */
function sentinelOptions(
  values: { "redis-sentinel"?: string; "redis-sentinel-name"?: string },
  env: NodeJS.ProcessEnv,
): Pick<CliOptions, "redisSentinels" | "redisSentinelName"> | null {
  const raw = values["redis-sentinel"] ?? (env.REDIS_SENTINELS || undefined);
  if (raw === undefined) {
    if (values["redis-sentinel-name"] !== undefined)
      throw new Error("--redis-sentinel-name needs --redis-sentinel");
    return null;
  }
  const sentinels = raw.split(",").map((sentinel) => sentinel.trim());
  for (const sentinel of sentinels) {
    if (!/^[\w.-]+(:\d{1,5})?$/.test(sentinel)) {
      throw new Error(`--redis-sentinel must be host:port[,host:port...], got "${raw}"`);
    }
  }
  const name = values["redis-sentinel-name"] ?? (env.REDIS_SENTINEL_NAME || "mymaster");
  if (!/^[\w.-]{1,100}$/.test(name))
    throw new Error(`--redis-sentinel-name must be a master name, got "${name}"`);
  return { redisSentinels: sentinels, redisSentinelName: name };
}

/** The sentinel target of the CLI's options: credentials of the servers from the Redis URL. */
function sentinelTarget(options: CliOptions): RedisSentinelTarget | null {
  if (!options.redisSentinels) return null;
  const url = options.redisUrl === undefined ? null : new URL(options.redisUrl);
  return {
    sentinels: options.redisSentinels,
    name: options.redisSentinelName ?? "mymaster",
    ...(url?.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url?.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

function numericOptions(values: Record<string, string | undefined>): Partial<CliOptions> {
  const options: Record<string, number> = {};
  for (const [flag, field] of Object.entries(NUMERIC_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (!/^\d+$/.test(raw) || Number(raw) < 1)
      throw new Error(`--${flag} must be a positive integer, got "${raw}"`);
    options[field] = Number(raw);
  }
  return options;
}

/** Builds the server options and, for `--store redis`, the Redis stores behind them. */
function serverSetup(
  options: CliOptions,
  logger: ReplayLogger,
): { serverOptions: ReplayServerOptions; redis: RedisStores | null } {
  const tuning: ReplayServerOptions = {
    // The CLI is the demo backend: the scripted model and its tools, named explicitly.
    model: createScriptedModel(
      options.scriptedMaxWords === undefined ? {} : { limits: { maxWords: options.scriptedMaxWords } },
    ),
    tools: createDemoTools(),
    toolApproval: DEMO_TOOL_APPROVAL,
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
    timing: {
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
      ...(options.bufferTtlMs === undefined ? {} : { bufferTtlMs: options.bufferTtlMs }),
    },
    limits: {
      ...pick(options, [
        "maxStreamsPerSession",
        "snapshotEvery",
        "maxSessionsPerOwner",
        "maxTurnsPerMinute",
        "maxHistoryBytes",
        "maxStreamsPerOwner",
        "maxStreams",
      ]),
    },
    ...(options.secrets === undefined ? {} : { secret: options.secrets }),
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
    ...(options.corsOrigins === undefined ? {} : { cors: { origins: options.corsOrigins } }),
    logger,
    ...(options.metrics === false ? {} : { metrics: createPrometheusMetrics() }),
  };
  const sessionTtl = options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs };
  const maxLength = options.maxLength === undefined ? {} : { maxLength: options.maxLength };
  if (options.store !== "redis") {
    const stores = {
      streamStore: new MemoryStreamStore(maxLength),
      sessionStore: new MemorySessionStore(sessionTtl),
    };
    return { serverOptions: { ...tuning, ...stores }, redis: null };
  }
  const sentinel = sentinelTarget(options);
  const redis = createRedisStores({
    url: options.redisUrl ?? DEFAULT_REDIS_URL,
    ...(options.redisCluster ? { cluster: true } : {}),
    ...(sentinel ? { sentinel } : {}),
    ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
    ...maxLength,
    ...sessionTtl,
    log: (line) => logger.log("warn", line.replace(/^chat-replay: /, "")),
  });
  return { serverOptions: { ...tuning, ...redis.serverOptions }, redis };
}

/** Runs the server until SIGINT/SIGTERM, then closes turns, stores and sockets cleanly. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (argv[0] === "migrate") {
    process.exitCode = await migrateCommand(argv.slice(1));
    return;
  }
  let options: CliOptions | "help";
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  const logger = createJsonLogger({ level: options.logLevel ?? "info" });
  let tracing: Awaited<ReturnType<typeof otlpTracingFromEnv>>;
  try {
    tracing = await otlpTracingFromEnv();
  } catch (error) {
    logger.log("error", "cannot export traces", {
      cause: error instanceof Error ? error.message : String(error),
    });
    process.exitCode = 1;
    return;
  }
  if (tracing) console.log(`traces: OTLP to ${tracing.label}`);
  const { serverOptions: liveOptions, redis } = serverSetup(options, logger);
  let serverOptions = liveOptions;
  if (options.databaseUrl !== undefined) {
    try {
      const history = await withPostgresHistory(liveOptions, {
        databaseUrl: options.databaseUrl,
        ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
      });
      serverOptions = history.serverOptions;
      console.log(`history store: postgres at ${history.label}`);
    } catch (error) {
      // schema_mismatch says what to run; anything else (unreachable, refused) is logged whole.
      logger.log("error", "cannot use the history database", {
        cause: error instanceof Error ? error.message : String(error),
      });
      await Promise.allSettled([liveOptions.sessionStore?.close(), liveOptions.streamStore?.close()]);
      process.exitCode = 1;
      return;
    }
  }
  if (redis) {
    console.log(`store: redis at ${redis.label}, key prefix "${redis.keyPrefix}"`);
    // Serve even when Redis is down (503 store_unavailable until it is back), but give it a moment.
    if (!(await redis.whenAvailable(3_000))) {
      logger.log("warn", `Redis at ${redis.label} is not reachable yet; answering 503 until it is.`);
    }
  }
  if (options.secrets === undefined) {
    logger.log(
      "warn",
      "no --secret (or CHAT_REPLAY_SECRET): using a random secret for this process; owner tokens end with it and other instances will not accept them.",
    );
  }
  const replay = createReplayServer({
    ...serverOptions,
    ...(tracing ? { tracerProvider: tracing.provider } : {}),
  });
  const fetch = redis ? redis.guard(replay.fetch) : replay.fetch;
  const http = serve(
    {
      fetch,
      port: options.port,
      hostname: options.host,
      // Slow or idle clients cannot hold sockets for Node's defaults (5 min request timeout).
      serverOptions: { requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 10_000 },
    },
    (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      console.log(`listening on http://${host}:${info.port}`);
    },
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`received ${signal}, shutting down`);
    await replay.close();
    await tracing?.shutdown().catch(() => {
      // Spans not yet exported are lost; shutting down goes on.
    });
    http.close();
    (http as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
}

/** The defined fields of `options` among `keys`. */
function pick<T extends object, K extends keyof T>(options: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (options[key] !== undefined) picked[key] = options[key];
  return picked;
}
