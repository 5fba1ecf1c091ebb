// The runtime-agnostic entry: Web Request/Response, Web Crypto, no `node:` modules and no
// Redis client, so it bundles for Node, Bun, Deno, Workers and Next.js alike. Redis lives
// in `@chat-replay/server/redis`, Postgres history in `/postgres`, Node serving in `/node`, the scripted demo model in `/testing`.
export { ChatReplayError } from "@chat-replay/protocol";
export { BufferHub } from "./buffer-hub";
export { pageHistory } from "./history-page";
export { mintOwnerToken, OWNER_COOKIE, SECURE_OWNER_COOKIE } from "./identity";
export { MemorySessionStore } from "./memory-session-store";
export { MemoryStreamStore, type MemoryStreamStoreOptions } from "./memory-stream-store";
export {
  createJsonLogger,
  type JsonLoggerOptions,
  LOG_LEVELS,
  type LogFields,
  type LogLevel,
  type ReplayLogger,
} from "./observability/replay-logger";
export type { MetricsSource, ReadMode, ReplayMetrics, TurnOutcome } from "./observability/replay-metrics";
export { SPAN_ATTRIBUTES } from "./observability/replay-tracing";
export type { Identify, ReplayServerOptions } from "./replay-options";
export { createReplayServer, type ReplayServer } from "./replay-server";
export type {
  BeginTurnResult,
  HistoryPage,
  HistoryPageQuery,
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
