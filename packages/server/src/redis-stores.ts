import { ChatReplayError } from "@chat-replay/protocol";
import { OPS_PATHS } from "./observability/ops-routes";
import {
  DEFAULT_REDIS_URL,
  type RedisLog,
  type RedisSentinelTarget,
  redactRedisUrl,
  sentinelLabel,
} from "./redis-connection";
import { RedisSessionStore } from "./redis-session-store";
import { RedisStreamStore } from "./redis-stream-store";
import type { ReplayServerOptions } from "./replay-options";

/** Options of {@link createRedisStores}. */
export interface RedisStoresOptions {
  /** Default `$REDIS_URL`, else `redis://127.0.0.1:6379`. With `cluster`, any one node of the cluster. */
  readonly url?: string;
  /**
   * Run on a Redis Cluster: every key of a session (its hash, history, claims and turn
   * buffers) shares one hash slot, waiting readers use sharded pub/sub, and a process holds
   * a fixed number of connections (a command connection per node for each store plus one
   * subscriber per master), however many readers. A master that is down fails only the
   * sessions in its slots.
   */
  readonly cluster?: boolean;
  /**
   * Run on a primary managed by Redis Sentinel (instead of `url`): every connection asks the
   * sentinels for the current primary and follows a failover; commands sent while it runs
   * fail with `store_unavailable` and are retried by their callers, as during any outage.
   */
  readonly sentinel?: RedisSentinelTarget;
  /** First segment of every key, buffers included (default `chat-replay`); one per deployment. */
  readonly keyPrefix?: string;
  /** Approximate MAXLEN of every turn buffer (default 10,000). */
  readonly maxLength?: number;
  /** Prefix of the connections' `CLIENT SETNAME` (default `chat-replay`). */
  readonly connectionName?: string;
  /** Connection loss/recovery lines (default `console.warn`). */
  readonly log?: RedisLog;
  /** Idle lifetime of a session and its history (default 30 days); see `RedisSessionStoreOptions`. */
  readonly sessionTtlMs?: number;
}

/** The stores of one process on one Redis, and what `createReplayServer` needs of them. */
export interface RedisStores {
  readonly streamStore: RedisStreamStore;
  readonly sessionStore: RedisSessionStore;
  readonly keyPrefix: string;
  /** Where the stores connect, without credentials (the URL, or the sentinels and master name). */
  readonly label: string;
  /** Spread into `createReplayServer`: both stores and the key prefix of the buffers. */
  readonly serverOptions: Required<Pick<ReplayServerOptions, "streamStore" | "sessionStore" | "keyPrefix">>;
  /** True while every connection is up. */
  available(): boolean;
  /** Resolves true once every connection is up, or false after `timeoutMs`. */
  whenAvailable(timeoutMs: number): Promise<boolean>;
  /**
   * Wraps a fetch handler so that, while Redis is known to be down, requests get a prompt
   * JSON `503 store_unavailable` (with `retry-after`) instead of waiting on the store.
   * `/healthz`, `/readyz` and `/metrics` always reach the server.
   */
  guard(fetch: (request: Request) => Promise<Response>): (request: Request) => Promise<Response>;
}

/**
 * Creates the Redis stream and session stores for a multi-instance deployment: every
 * instance with the same URL and key prefix serves every session, resumes every turn and
 * detects every orphaned one (§2 leases). A process holds three connections (commands of
 * each store plus one shared blocking reader), however many clients are attached.
 * @example
 * const redis = createRedisStores({ url: process.env.REDIS_URL, keyPrefix: "chat" });
 * const server = createReplayServer({ ...redis.serverOptions, model });
 * serve({ fetch: redis.guard(server.fetch), port: 8787 });
 */
export function createRedisStores(options: RedisStoresOptions = {}): RedisStores {
  const url = options.url ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const keyPrefix = options.keyPrefix ?? "chat-replay";
  if (options.sentinel && options.cluster) {
    throw new ChatReplayError(
      "invalid_options",
      "createRedisStores: `sentinel` and `cluster` exclude each other.",
    );
  }
  const common = {
    redis: options.sentinel ?? url,
    ...(options.cluster ? { cluster: true } : {}),
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  const streamStore = new RedisStreamStore({
    ...common,
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
  });
  const sessionStore = new RedisSessionStore({
    ...common,
    keyPrefix,
    ...(options.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.sessionTtlMs }),
  });
  const label = options.sentinel
    ? sentinelLabel(options.sentinel)
    : options.cluster
      ? `${redactRedisUrl(url)} (cluster)`
      : redactRedisUrl(url);
  const available = () => streamStore.available && sessionStore.available;
  return {
    streamStore,
    sessionStore,
    keyPrefix,
    label,
    serverOptions: { streamStore, sessionStore, keyPrefix },
    available,
    whenAvailable: (timeoutMs) => pollUntil(available, timeoutMs),
    guard: (fetch) => async (request) =>
      available() || isProbe(request) ? fetch(request) : unavailableResponse(),
  };
}

/** Health probes and scrapes pass the guard: `/healthz` must say "alive" and `/readyz` which store is down. */
function isProbe(request: Request): boolean {
  const path = new URL(request.url).pathname;
  return OPS_PATHS.some((ops) => path.endsWith(ops));
}

function unavailableResponse(): Response {
  return Response.json(
    {
      // Never the URL or user name: clients learn that the store is down, operators read the log.
      error: { code: "store_unavailable", message: "The session store is unavailable; retry shortly." },
    },
    { status: 503, headers: { "retry-after": "1" } },
  );
}

async function pollUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
