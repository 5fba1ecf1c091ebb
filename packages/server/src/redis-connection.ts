import { ChatReplayError } from "@chat-replay/protocol";
import { Redis, type RedisOptions } from "ioredis";

/** Where a Redis store connects: a `redis://` URL, or an ioredis client it shares and never closes. */
export type RedisTarget = string | Redis;

/** A line-oriented logger for connection state changes (default: `console.warn`). */
export type RedisLog = (line: string) => void;

/** Options of {@link RedisConnection}. */
export interface RedisConnectionOptions {
  /** `CLIENT SETNAME` of the connection, so `CLIENT LIST` shows who holds it. */
  readonly connectionName: string;
  readonly log?: RedisLog;
  /** Extra ioredis options (e.g. `blockingTimeout` for the blocking connection). */
  readonly overrides?: RedisOptions;
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
  readonly client: Redis;
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
      this.client = new Redis(target, settingsOf(options));
      this.owned = true;
      this.where = redactRedisUrl(target);
    } else {
      this.client = target;
      this.owned = false;
      this.where = `${target.options.host ?? "127.0.0.1"}:${target.options.port ?? 6379}`;
    }
    this.everReady = this.client.status === "ready";
    this.client.on("ready", () => this.onReady());
    if (this.owned) this.watch();
  }

  /** Logs loss and recovery of an owned connection (and keeps ioredis from reporting unhandled errors). */
  private watch(): void {
    this.client.on("error", (error: Error) => this.onError(error));
    this.client.on("close", () => this.onClose());
  }

  /** A second connection to the same server (the store's blocking reader), owned by the result. */
  duplicate(options: RedisConnectionOptions): RedisConnection {
    const copy = new RedisConnection(this.client.duplicate(settingsOf(options)), {
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

  /** Whether commands can be sent now. */
  get ready(): boolean {
    return !this.closed && this.client.status === "ready";
  }

  /** Runs `command`, translating connection failures into `store_unavailable` errors. */
  async run<T>(operation: string, command: (client: Redis) => Promise<T>): Promise<T> {
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
    return this.client.options.connectionName ?? "connection";
  }

  /**
   * Quits an owned connection (disconnecting if Redis does not answer within a second, or at
   * once with `immediate`, e.g. while a blocking command is in flight); a shared one stays open.
   */
  async close(immediate = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
  }
}

function settingsOf(options: RedisConnectionOptions): RedisOptions {
  return { ...REQUEST_PATH_OPTIONS, connectionName: options.connectionName, ...options.overrides };
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
