import { ChatReplayError } from "@chat-replay/protocol";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

/** An ioredis client of either shape: one server (single primary) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * A primary managed by Redis Sentinel: the sentinels to ask and the name of the master they
 * monitor. Connections follow a failover (the new primary is asked of the sentinels).
 */
export interface RedisSentinelTarget {
  /** The sentinels, as `host:port` (port default 26379) or `{ host, port }`. */
  readonly sentinels: readonly (string | { readonly host: string; readonly port?: number })[];
  /** The monitored master's name (`sentinel monitor <name> …`). */
  readonly name: string;
  /** Credentials of the Redis servers (not of the sentinels). */
  readonly username?: string;
  readonly password?: string;
  /** Password of the sentinels themselves, when they require one. */
  readonly sentinelPassword?: string;
}

/**
 * Where a Redis store connects: a `redis://` URL (of the server, or with `cluster: true` of
 * any one node of a Redis Cluster), a Sentinel-managed primary, or an ioredis client
 * (`Redis` or `Cluster`) it shares and never closes.
 */
export type RedisTarget = string | RedisSentinelTarget | Redis | Cluster;

/** A line-oriented logger for connection state changes (default: `console.warn`). */
export type RedisLog = (line: string) => void;

/** Options of {@link RedisConnection}. */
export interface RedisConnectionOptions {
  /** `CLIENT SETNAME` of the connection, so `CLIENT LIST` shows who holds it. */
  readonly connectionName: string;
  readonly log?: RedisLog;
  /** Extra ioredis options (e.g. `blockingTimeout` for the blocking connection). */
  readonly overrides?: RedisOptions;
  /** A URL target is a seed node of a Redis Cluster: connect with ioredis's `Cluster`. */
  readonly cluster?: boolean;
  /** Extra options of a `Cluster` this connection opens (e.g. `shardedSubscribers`). */
  readonly clusterOverrides?: ClusterOptions;
}

/** The default Redis of the CLI and `createRedisStores`: `$REDIS_URL`, else the local one. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/**
 * ioredis settings for a request path. The ioredis defaults queue a command for up to 20
 * reconnect attempts (about a minute) while Redis is down; a chat request must fail fast
 * instead, so it gets a clear `store_unavailable` and the client retries. Reconnection
 * itself never stops: service resumes on its own when Redis is back.
 */
const REQUEST_PATH_OPTIONS: RedisOptions = {
  // RESP2: the reply shapes (XREAD, HGETALL) are the classic arrays on every server version.
  protocol: 2,
  // A primary demoted under us (a Sentinel failover) answers READONLY: reconnect, which on
  // Sentinel asks for the new primary. The command itself fails (store_unavailable) and is
  // retried by its caller, never sent twice.
  reconnectOnError: (error) => error.message.startsWith("READONLY"),
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  connectTimeout: 2_000,
  // How long a closing socket may linger; the 2 s default delays shutdown while Redis is down.
  disconnectTimeout: 200,
};

/** Reply errors that mean "Redis cannot serve right now", not "the command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/**
 * One ioredis connection of a Redis store, plus the policy around it: commands fail fast
 * with `ChatReplayError("store_unavailable")` while the connection is down (after it was up
 * once; at startup they wait for the first connect), connection loss and recovery are
 * logged once each, and `close` quits only a connection this object opened.
 */
export class RedisConnection {
  readonly client: RedisClient;
  private where: string;
  private owned: boolean;
  private readonly log: RedisLog;
  private everReady = false;
  private down = false;
  private lastError: string | null = null;
  private closed = false;

  constructor(target: RedisTarget, options: RedisConnectionOptions) {
    this.log = options.log ?? ((line) => console.warn(line));
    if (typeof target === "string") {
      this.client = options.cluster ? openCluster(target, options) : new Redis(target, settingsOf(options));
      this.owned = true;
      this.where = options.cluster ? `${redactRedisUrl(target)} (cluster)` : redactRedisUrl(target);
    } else if (isSentinelTarget(target)) {
      this.client = new Redis(sentinelSettingsOf(target, options));
      this.owned = true;
      this.where = sentinelLabel(target);
    } else {
      this.client = target;
      this.owned = false;
      this.where =
        target instanceof Cluster
          ? "Redis Cluster"
          : `${target.options.host ?? "127.0.0.1"}:${target.options.port ?? 6379}`;
    }
    this.everReady = this.client.status === "ready";
    this.client.on("ready", this.readyListener);
    if (this.owned) this.watch();
  }

  /** Kept so `close()` can remove it from a shared client (stores come and go on one client). */
  private readonly readyListener = (): void => this.onReady();

  /** Logs loss and recovery of an owned connection (and keeps ioredis from reporting unhandled errors). */
  private watch(): void {
    this.client.on("error", (error: Error) => this.onError(error));
    this.client.on("close", () => this.onClose());
  }

  /** Whether this is a Redis Cluster client (keys of one command must share a hash slot). */
  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  /**
   * A second connection to the same server (the store's blocking reader), owned by the
   * result; of a cluster, a second `Cluster` client with `clusterOverrides`.
   */
  duplicate(options: RedisConnectionOptions): RedisConnection {
    const client =
      this.client instanceof Cluster
        ? this.client.duplicate([], { ...clusterSettingsOf(options), ...options.clusterOverrides })
        : this.client.duplicate(settingsOf(options));
    const copy = new RedisConnection(client, {
      ...options,
      log: options.log ?? this.log,
    });
    copy.owned = true;
    copy.where = this.where;
    copy.watch();
    return copy;
  }

  /** Where it points, without credentials, for messages. */
  get label(): string {
    return this.where;
  }

  /** Whether the connection was up and is lost now (reconnecting) or closed; false while it first connects. */
  get lost(): boolean {
    return this.closed || this.down;
  }

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return !this.closed && this.client.status === "ready";
  }

  /** Runs `command`, translating connection failures into `store_unavailable` errors. */
  async run<T>(operation: string, command: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new ChatReplayError("store_unavailable", `Redis store closed (${operation}).`);
    if (this.everReady && this.client.status !== "ready") {
      throw new ChatReplayError(
        "store_unavailable",
        `Redis at ${this.label} is unavailable (${operation}): connection ${this.client.status}.`,
      );
    }
    try {
      return await command(this.client);
    } catch (error) {
      throw this.translate(error, operation);
    }
  }

  /** Connection trouble becomes `store_unavailable`; other reply errors are bugs and pass through. */
  translate(error: unknown, operation: string): unknown {
    if (ChatReplayError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    const isReply = error instanceof Error && error.name === "ReplyError";
    if (isReply && !TRANSIENT_REPLY.test(message)) return error;
    return new ChatReplayError(
      "store_unavailable",
      `Redis at ${this.label} is unavailable (${operation}): ${message}`,
      { cause: error },
    );
  }

  private onReady(): void {
    if (this.down) this.log(`chat-replay: Redis at ${this.label} is back (${this.name}).`);
    this.everReady = true;
    this.down = false;
    this.lastError = null;
  }

  private onError(error: Error): void {
    this.lastError = error.message;
  }

  private onClose(): void {
    if (this.down || this.closed) return;
    this.down = true;
    const reason = this.lastError ?? "connection closed";
    this.log(
      `chat-replay: Redis at ${this.label} is unavailable (${this.name}): ${reason}; reconnecting, requests fail with store_unavailable meanwhile.`,
    );
  }

  private get name(): string {
    const options = this.client instanceof Cluster ? this.client.options.redisOptions : this.client.options;
    return options?.connectionName ?? "connection";
  }

  /**
   * Quits an owned connection (disconnecting if Redis does not answer within a second, or at
   * once with `immediate`, e.g. while a blocking command is in flight); a shared one stays open.
   */
  async close(immediate = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.off("ready", this.readyListener);
    if (!this.owned) return;
    if (immediate || this.client.status !== "ready") {
      this.client.disconnect();
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.client.disconnect();
        resolve();
      }, 1_000);
    });
    await Promise.race([
      this.client.quit().then(
        () => undefined,
        () => this.client.disconnect(),
      ),
      forced,
    ]);
    clearTimeout(timer);
    // `quit` leaves a Sentinel client's failover detector subscribed on the sentinels (an
    // open socket that keeps the process alive); `disconnect` closes it, and is a no-op on a
    // connection that already ended.
    this.client.disconnect();
  }
}

function settingsOf(options: RedisConnectionOptions): RedisOptions {
  return { ...REQUEST_PATH_OPTIONS, connectionName: options.connectionName, ...options.overrides };
}

/** Whether a target names a Sentinel-managed primary (not a URL, not a client). */
export function isSentinelTarget(target: RedisTarget): target is RedisSentinelTarget {
  return typeof target === "object" && !(target instanceof Redis) && !(target instanceof Cluster);
}

/** `host:port` (or `{ host, port }`) of a sentinel; port 26379 by default. */
function sentinelAddress(sentinel: RedisSentinelTarget["sentinels"][number]): { host: string; port: number } {
  if (typeof sentinel !== "string") return { host: sentinel.host, port: sentinel.port ?? 26379 };
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(sentinel.trim());
  if (!match) throw new ChatReplayError("invalid_options", "A sentinel must be written host:port.");
  return { host: match[1]!, port: match[2] === undefined ? 26379 : Number(match[2]) };
}

/**
 * ioredis settings for a Sentinel-managed primary: a request path's (fail fast, reconnect
 * forever), the sentinels, and `failoverDetector`, so a `+switch-master` moves the
 * connection to the new primary at once rather than at its next error.
 */
function sentinelSettingsOf(target: RedisSentinelTarget, options: RedisConnectionOptions): RedisOptions {
  if (target.sentinels.length === 0 || !target.name) {
    throw new ChatReplayError(
      "invalid_options",
      "Sentinel needs at least one sentinel and the master's name.",
    );
  }
  return {
    ...settingsOf(options),
    sentinels: target.sentinels.map(sentinelAddress),
    name: target.name,
    role: "master",
    failoverDetector: true,
    sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
  };
}

/** `sentinel master "m" via host:port,…` (no credentials), for logs and messages. */
export function sentinelLabel(target: RedisSentinelTarget): string {
  const via = target.sentinels.map((sentinel) => {
    const { host, port } = sentinelAddress(sentinel);
    return `${host}:${port}`;
  });
  return `sentinel master "${target.name}" via ${via.join(",")}`;
}

/**
 * ioredis `Cluster` settings for a request path: node connections fail fast like a single
 * server's (`REQUEST_PATH_OPTIONS`), topology is refreshed when a node fails, and a command
 * for the slots of a master that is down fails within about a second (then the caller gets
 * `store_unavailable`) while every other slot keeps working.
 */
function clusterSettingsOf(options: RedisConnectionOptions): ClusterOptions {
  const { retryStrategy: _ignored, ...node } = settingsOf(options);
  return {
    redisOptions: node,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    maxRedirections: 6,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    slotsRefreshTimeout: 1_000,
    scaleReads: "master",
  };
}

/** A `Cluster` from a seed node's `redis://` URL (credentials and TLS apply to every node). */
function openCluster(url: string, options: RedisConnectionOptions): Cluster {
  const seed = new URL(url);
  const settings = clusterSettingsOf(options);
  const auth = {
    ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
    ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
    ...(seed.protocol === "rediss:" ? { tls: {} } : {}),
  };
  return new Cluster([{ host: seed.hostname || "127.0.0.1", port: Number(seed.port || 6379) }], {
    ...settings,
    redisOptions: { ...settings.redisOptions, ...auth },
    ...options.clusterOverrides,
  });
}

/** A Redis URL without its password, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "redis (unparsable URL)";
  }
}
