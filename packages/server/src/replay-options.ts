import type { LanguageModel, ToolSet } from "ai";
import { BufferHub } from "./buffer-hub";
import { createDemoTools, DEMO_TOOL_APPROVAL } from "./demo-tools";
import { MemorySessionStore } from "./memory-session-store";
import { MemoryStreamStore } from "./memory-stream-store";
import { createScriptedModel } from "./scripted-model";
import type { SessionStore } from "./session-store";
import type { StreamStore } from "./stream-store";
import { defaultSnapshotEvery } from "./turn-snapshotter";

/** Resolves the owner of a request: an opaque id, or null for an anonymous caller. */
export type Identify = (request: Request) => string | null | Promise<string | null>;

/** Options of `createReplayServer`; every field has a default. */
export interface ReplayServerOptions {
  /** Per-turn buffers. Default: a new `MemoryStreamStore`. */
  readonly streamStore?: StreamStore;
  /** Sessions, runs, history, leases. Default: a new `MemorySessionStore`. */
  readonly sessionStore?: SessionStore;
  /** Any AI SDK language model. Default: the deterministic scripted demo model. */
  readonly model?: LanguageModel;
  /** Tools offered to the model. Default: the demo tools when the model is the default one. */
  readonly tools?: ToolSet;
  /** Per-tool approval policy, as streamText's `toolApproval`. */
  readonly toolApproval?: Readonly<Record<string, "user-approval" | "approved" | "denied">>;
  /** System prompt for every turn. */
  readonly system?: string;
  /** Most model steps per phase (tool call + answer = 2). Default 8. */
  readonly maxSteps?: number;
  /** Owner resolution. Default: bearer token or the `chat_replay_owner` cookie. */
  readonly identify?: Identify;
  /** Key prefix of the stream buffers: `<prefix>:<session_id>:<stream_id>`. Default `chat-replay`. */
  readonly keyPrefix?: string;
  readonly limits?: {
    /** Largest accepted request body. Default 1 MiB (larger → 413). */
    readonly maxBodyBytes?: number;
    /** Concurrent SSE readers per session. Default 32 (more → 429). */
    readonly maxStreamsPerSession?: number;
    /**
     * Entries between refreshes of a turn's snapshot (§4): a full replay sends the snapshot
     * plus at most about this many entries. Default: a quarter of the stream store's
     * `maxLength`, at most 256.
     */
    readonly snapshotEvery?: number;
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
  readonly keepaliveMs: number;
  readonly blockMs: number;
  readonly leaseMs: number;
  readonly bufferTtlMs: number;
  readonly continueDedupeMs: number;
  /** Stream buffer key of a turn (§4). */
  streamKey(sessionId: string, streamId: string): string;
}

/** Applies defaults in one place (conventions §8). */
export function resolveOptions(options: ReplayServerOptions = {}): ReplayContext {
  const streamStore = options.streamStore ?? new MemoryStreamStore();
  const usesDemoModel = options.model === undefined;
  const blockMs = options.timing?.blockMs ?? 1000;
  const prefix = options.keyPrefix ?? "chat-replay";
  return {
    streamStore,
    sessionStore: options.sessionStore ?? new MemorySessionStore(),
    hub: new BufferHub(streamStore, blockMs),
    snapshotEvery: Math.max(1, options.limits?.snapshotEvery ?? defaultSnapshotEvery(streamStore)),
    historyRetryMs: options.timing?.historyRetryMs ?? 200,
    model: options.model ?? createScriptedModel(),
    tools: options.tools ?? (usesDemoModel ? createDemoTools() : {}),
    toolApproval: options.toolApproval ?? (usesDemoModel ? DEMO_TOOL_APPROVAL : {}),
    system: options.system,
    maxSteps: options.maxSteps ?? 8,
    identify: options.identify ?? null,
    maxBodyBytes: options.limits?.maxBodyBytes ?? 1024 * 1024,
    maxStreamsPerSession: options.limits?.maxStreamsPerSession ?? 32,
    keepaliveMs: options.timing?.keepaliveMs ?? 10_000,
    blockMs,
    leaseMs: options.timing?.leaseMs ?? 10_000,
    bufferTtlMs: options.timing?.bufferTtlMs ?? 5 * 60_000,
    continueDedupeMs: options.timing?.continueDedupeMs ?? 5 * 60_000,
    streamKey: (sessionId, streamId) => `${prefix}:${sessionId}:${streamId}`,
  };
}
