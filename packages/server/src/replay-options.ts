import { ChatReplayError } from "@chat-replay/protocol";
import type { TracerProvider } from "@opentelemetry/api";
import type { LanguageModel, ToolSet } from "ai";
import { BufferHub } from "./buffer-hub";
import { MemorySessionStore } from "./memory-session-store";
import { MemoryStreamStore } from "./memory-stream-store";
import { createJsonLogger, type LogLevel, type ReplayLogger } from "./observability/replay-logger";
import type { ReplayMetrics } from "./observability/replay-metrics";
import { ReplayTracing } from "./observability/replay-tracing";
import { countStoreErrors } from "./observability/store-errors";
import { WaitingTurns } from "./observability/waiting-turns";
import type { SessionStore } from "./session-store";
import type { StreamStore } from "./stream-store";
import { defaultSnapshotEvery } from "./turn-snapshotter";

/** Resolves the owner of a request: an opaque id, or null for an anonymous caller. */
export type Identify = (request: Request) => string | null | Promise<string | null>;

/** Options of `createReplayServer`; every field but `model` has a default. */
export interface ReplayServerOptions {
  /**
   * The AI SDK language model that answers every turn (required: a server never falls back
   * to a demo model in production; tests and the demo pass `createScriptedModel()` from
   * `@chat-replay/server/testing`).
   */
  readonly model: LanguageModel;
  /**
   * Serve every route under this path prefix: `"/chat"` serves `/chat/api/sessions`, and
   * nothing at `/api/sessions`. The client's `baseUrl` then ends with it. Leave it out when
   * mounting `server.app` as a Hono sub-app (`parent.route("/chat", server.app)`) or behind
   * a router that strips the prefix.
   */
  readonly basePath?: string;
  /** Per-turn buffers. Default: a new `MemoryStreamStore`. */
  readonly streamStore?: StreamStore;
  /** Sessions, runs, history, leases. Default: a new `MemorySessionStore`. */
  readonly sessionStore?: SessionStore;
  /** Tools offered to the model. Default: none. */
  readonly tools?: ToolSet;
  /** Per-tool approval policy, as streamText's `toolApproval`. */
  readonly toolApproval?: Readonly<Record<string, "user-approval" | "approved" | "denied">>;
  /** System prompt for every turn. */
  readonly system?: string;
  /** Most model steps per phase (tool call + answer = 2). Default 8. */
  readonly maxSteps?: number;
  /**
   * Owner resolution, the production path: return your user id for a request (from your
   * session cookie, JWT, ...) or null for anonymous. Default: signed owner tokens, sent as
   * `Authorization: Bearer` or the owner cookie, minted by `POST /api/sessions`.
   */
  readonly identify?: Identify;
  /**
   * Secret(s) that sign owner tokens and share links (HMAC-SHA-256), at least 16 characters.
   * The first signs; every one verifies (rotation: put the new one first). Every instance
   * that serves the same sessions must share it. Default: a random secret per server, so
   * tokens die with the process.
   */
  readonly secret?: string | readonly string[];
  /** The owner cookie's `Secure` flag; default: secure except plain HTTP to a loopback host. */
  readonly secureCookie?: boolean;
  /**
   * Origins allowed to write (POST, DELETE) besides the server's own. A write whose
   * `Origin` (or `Sec-Fetch-Site: cross-site`) names another origin is refused with 403;
   * requests with neither header (servers, CLIs) are not browser requests and pass.
   */
  readonly allowedOrigins?: readonly string[];
  /** For a UI on another origin: CORS for these origins (preflight answered, credentials allowed). */
  readonly cors?: { readonly origins: readonly string[] };
  /**
   * Key prefix of the stream buffers: `<prefix>:{<session_id>}:<stream_id>` (the braces are
   * a Redis Cluster hash tag: a session's keys share one slot). No braces of its own.
   * Default `chat-replay`.
   */
  readonly keyPrefix?: string;
  /**
   * Metrics (opt-in): `createPrometheusMetrics()` from `@chat-replay/server/prometheus`, or
   * your own `ReplayMetrics`. With it the server answers `GET /metrics` (Prometheus text; keep
   * it off the public internet) and counts store errors. Default: none, and no cost.
   */
  readonly metrics?: ReplayMetrics;
  /**
   * Where spans go. Default: the global OpenTelemetry tracer provider, a no-op unless your
   * application registered an SDK.
   */
  readonly tracerProvider?: TracerProvider;
  /**
   * Log lines (failed turns, store trouble, bugs; never tokens or prompt text). Default:
   * JSON lines to stderr at `logLevel`.
   */
  readonly logger?: ReplayLogger;
  /** Level of the default logger. Default `info` (quiet while all is well). */
  readonly logLevel?: LogLevel;
  readonly limits?: {
    /** Largest accepted request body. Default 1 MiB (larger → 413). */
    readonly maxBodyBytes?: number;
    /** Concurrent SSE readers per session. Default 32 (more → 429). */
    readonly maxStreamsPerSession?: number;
    /** Concurrent SSE readers per owner. Default 64 (more → 429). */
    readonly maxStreamsPerOwner?: number;
    /** Concurrent SSE readers of this server in total. Default 10,000 (more → 429). */
    readonly maxStreams?: number;
    /** Live sessions per owner. Default 1,000 (more → 429). */
    readonly maxSessionsPerOwner?: number;
    /** New turns per owner per minute. Default 60 (more → 429). */
    readonly maxTurnsPerMinute?: number;
    /** Stored history per session, in JSON bytes; a new turn beyond it → 429. Default 8 MiB. */
    readonly maxHistoryBytes?: number;
    /**
     * Entries between refreshes of a turn's snapshot (§4): a full replay sends the snapshot
     * plus at most about this many entries. Default: a quarter of the stream store's
     * `maxLength`, at most 256.
     */
    readonly snapshotEvery?: number;
    /**
     * Memory for replay bytes shared by readers: each full catch-up batch (1,024 entries) a
     * reader folds is kept encoded, so replaying the same turn again (another tab, a
     * reconnect) is a store read and a socket write per batch. Least recently used first
     * out. Default 64 MiB; 0 turns it off.
     */
    readonly replayCacheBytes?: number;
  };
  readonly timing?: {
    /** Keepalive comment after this long without frames. Default 10 s. */
    readonly keepaliveMs?: number;
    /** Longest blocking buffer read. Default 1 s. */
    readonly blockMs?: number;
    /** A running turn whose runner misses heartbeats this long is failed. Default 10 s. */
    readonly leaseMs?: number;
    /** Buffers live this long after the final end. Default 5 min. */
    readonly bufferTtlMs?: number;
    /** Identical continuation submissions are deduplicated this long. Default 5 min. */
    readonly continueDedupeMs?: number;
    /** First delay between attempts to store a turn's history; doubles per attempt. Default 200 ms. */
    readonly historyRetryMs?: number;
    /** Idle sessions of the default memory store expire after this. Default 30 days. */
    readonly sessionTtlMs?: number;
  };
}

/** Options with every default applied, plus the shared infrastructure built from them. */
export interface ReplayContext {
  readonly streamStore: StreamStore;
  readonly sessionStore: SessionStore;
  readonly hub: BufferHub;
  /** Entries between snapshot refreshes of a turn (§4). */
  readonly snapshotEvery: number;
  /** First delay between attempts to store a turn's history (doubles per attempt). */
  readonly historyRetryMs: number;
  readonly model: LanguageModel;
  readonly tools: ToolSet;
  readonly toolApproval: Readonly<Record<string, "user-approval" | "approved" | "denied">>;
  readonly system: string | undefined;
  readonly maxSteps: number;
  readonly identify: Identify | null;
  readonly maxBodyBytes: number;
  readonly maxStreamsPerSession: number;
  readonly maxStreamsPerOwner: number;
  readonly maxStreams: number;
  readonly maxSessionsPerOwner: number;
  readonly maxTurnsPerMinute: number;
  readonly maxHistoryBytes: number;
  readonly secrets: readonly string[];
  readonly secureCookie: boolean | undefined;
  readonly allowedOrigins: readonly string[];
  readonly corsOrigins: readonly string[];
  readonly keepaliveMs: number;
  readonly blockMs: number;
  readonly leaseMs: number;
  readonly bufferTtlMs: number;
  readonly continueDedupeMs: number;
  /** Path prefix of every route (`""`: none). */
  readonly basePath: string;
  /** Metrics, or null when the server has none (then nothing is measured). */
  readonly metrics: ReplayMetrics | null;
  readonly tracing: ReplayTracing;
  readonly logger: ReplayLogger;
  /** Turns paused here, for the active-turns gauge. */
  readonly waitingTurns: WaitingTurns;
  /** Stream buffer key of a turn (§4). */
  streamKey(sessionId: string, streamId: string): string;
}

/** Applies defaults in one place (conventions §8). */
export function resolveOptions(options: ReplayServerOptions): ReplayContext {
  // Plain JavaScript callers get a clear error instead of a server that fails every turn.
  if (!options || options.model === undefined || options.model === null) {
    throw new ChatReplayError(
      "invalid_options",
      "createReplayServer: `model` is required (createScriptedModel() from @chat-replay/server/testing for demos and tests).",
    );
  }
  const metrics = options.metrics ?? null;
  const blockMs = options.timing?.blockMs ?? 1000;
  // With metrics, every failed store call is counted (`chat_replay_store_errors_total`).
  const counted = <T extends object>(store: T): T => (metrics ? countStoreErrors(store, metrics) : store);
  const baseStore = counted(options.streamStore ?? new MemoryStreamStore());
  const hub = new BufferHub(baseStore, blockMs, undefined, undefined, options.limits?.replayCacheBytes);
  // Local appends feed the hub's tails (§4 local feed); readers read `baseStore` through the hub.
  const streamStore = hub.feeding(baseStore);
  const prefix = options.keyPrefix ?? "chat-replay";
  if (/[{}]/.test(prefix)) {
    // A brace in the prefix would become the Redis Cluster hash tag instead of the session id.
    throw new ChatReplayError("invalid_options", "createReplayServer: `keyPrefix` must not contain { or }.");
  }
  return {
    streamStore,
    sessionStore: counted(
      options.sessionStore ??
        new MemorySessionStore(
          options.timing?.sessionTtlMs === undefined ? {} : { sessionTtlMs: options.timing.sessionTtlMs },
        ),
    ),
    hub,
    snapshotEvery: Math.max(1, options.limits?.snapshotEvery ?? defaultSnapshotEvery(streamStore)),
    historyRetryMs: options.timing?.historyRetryMs ?? 200,
    model: options.model,
    tools: options.tools ?? {},
    toolApproval: options.toolApproval ?? {},
    system: options.system,
    maxSteps: options.maxSteps ?? 8,
    identify: options.identify ?? null,
    maxBodyBytes: options.limits?.maxBodyBytes ?? 1024 * 1024,
    maxStreamsPerSession: options.limits?.maxStreamsPerSession ?? 32,
    maxStreamsPerOwner: options.limits?.maxStreamsPerOwner ?? 64,
    maxStreams: options.limits?.maxStreams ?? 10_000,
    maxSessionsPerOwner: options.limits?.maxSessionsPerOwner ?? 1_000,
    maxTurnsPerMinute: options.limits?.maxTurnsPerMinute ?? 60,
    maxHistoryBytes: options.limits?.maxHistoryBytes ?? 8 * 1024 * 1024,
    secrets: resolveSecrets(options.secret),
    secureCookie: options.secureCookie,
    allowedOrigins: [...(options.allowedOrigins ?? []), ...(options.cors?.origins ?? [])],
    corsOrigins: options.cors?.origins ?? [],
    keepaliveMs: options.timing?.keepaliveMs ?? 10_000,
    blockMs,
    leaseMs: options.timing?.leaseMs ?? 10_000,
    bufferTtlMs: options.timing?.bufferTtlMs ?? 5 * 60_000,
    continueDedupeMs: options.timing?.continueDedupeMs ?? 5 * 60_000,
    basePath: normalizeBasePath(options.basePath),
    metrics,
    tracing: new ReplayTracing(options.tracerProvider),
    logger: options.logger ?? createJsonLogger({ level: options.logLevel ?? "info" }),
    waitingTurns: new WaitingTurns(),
    streamKey: (sessionId, streamId) => `${prefix}:{${sessionId}}:${streamId}`,
  };
}

/** `"/chat/"` → `"/chat"`, `"/"` or absent → `""`; anything not starting with `/` is an error. */
function normalizeBasePath(basePath: string | undefined): string {
  if (basePath === undefined) return "";
  const trimmed = basePath.replace(/\/+$/, "");
  if (trimmed !== "" && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(trimmed)) {
    throw new ChatReplayError(
      "invalid_options",
      "createReplayServer: `basePath` must be a path starting with `/`, like `/chat`.",
    );
  }
  return trimmed;
}

function resolveSecrets(secret: string | readonly string[] | undefined): readonly string[] {
  if (secret === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    return [Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")];
  }
  return typeof secret === "string" ? [secret] : secret;
}
