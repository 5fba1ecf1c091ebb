export { ChatReplayError } from "@chat-replay/protocol";
export { type ReplayServer, createReplayServer } from "./replay-server";
export type { Identify, ReplayServerOptions } from "./replay-options";
export type { StreamReadOptions, StreamStore } from "./stream-store";
export { MemoryStreamStore, type MemoryStreamStoreOptions } from "./memory-stream-store";
export type {
  BeginTurnResult,
  HistoryRow,
  SessionRecord,
  SessionStore,
  TurnStart,
} from "./session-store";
export { MemorySessionStore } from "./memory-session-store";
export { type ApprovalDecision, TurnRunner } from "./turn-runner";
export { BufferHub } from "./buffer-hub";
export {
  DEFAULT_DIRECTIVES,
  type ScriptedDirectives,
  type ScriptedModelOptions,
  createScriptedModel,
  parseDirectives,
  stripDirectives,
} from "./scripted-model";
export { DEMO_TOOL_APPROVAL, createDemoTools } from "./demo-tools";
export { OWNER_COOKIE } from "./identity";
