export { ChatReplayError } from "@chat-replay/protocol";
export { BufferHub } from "./buffer-hub";
export { createDemoTools, DEMO_TOOL_APPROVAL } from "./demo-tools";
export { mintOwnerToken, OWNER_COOKIE, SECURE_OWNER_COOKIE } from "./identity";
export { MemorySessionStore } from "./memory-session-store";
export { MemoryStreamStore, type MemoryStreamStoreOptions } from "./memory-stream-store";
export type { RedisLog, RedisTarget } from "./redis-connection";
export { RedisSessionStore, type RedisSessionStoreOptions } from "./redis-session-store";
export { createRedisStores, type RedisStores, type RedisStoresOptions } from "./redis-stores";
export { RedisStreamStore, type RedisStreamStoreOptions } from "./redis-stream-store";
export type { Identify, ReplayServerOptions } from "./replay-options";
export { createReplayServer, type ReplayServer } from "./replay-server";
export {
  clampDirectives,
  createScriptedModel,
  DEFAULT_DIRECTIVE_LIMITS,
  DEFAULT_DIRECTIVES,
  type DirectiveLimits,
  parseDirectives,
  type ScriptedDirectives,
  type ScriptedModelOptions,
  stripDirectives,
} from "./scripted-model";
export type {
  BeginTurnResult,
  HistoryRow,
  SessionRecord,
  SessionStore,
  TurnStart,
} from "./session-store";
export type {
  Checkpoint,
  SnapshotWrite,
  StreamReadOptions,
  StreamStore,
} from "./stream-store";
export { type ApprovalDecision, TurnRunner } from "./turn-runner";
export { defaultSnapshotEvery, TurnSnapshotter } from "./turn-snapshotter";
