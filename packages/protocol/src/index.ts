export {
  type AdapterState,
  type AdaptResult,
  adapt,
  INITIAL_ADAPTER_STATE,
  type OpenPart,
  type ToolCallState,
} from "./adapter";
export {
  type ApprovalItem,
  approvalItemSchema,
  type BufferEntry,
  type BufferEntryType,
  bufferEntrySchema,
  type EndEntry,
  isEndEntry,
  type StoredEntry,
} from "./buffer-entry";
export { ChatReplayError, type ChatReplayErrorCode } from "./chat-replay-error";
export {
  compareEntryIds,
  compareEventCursors,
  type EventCursor,
  formatEventId,
  MAX_EVENT_ID_LENGTH,
  parseEntryId,
  parseEventId,
  previousEntryId,
  ZERO_ENTRY_ID,
} from "./event-id";
export { type ReplayFramesOptions, replayFrames } from "./replay-frames";
export { HEADERS, type ReplayMode, ROUTES, type RouteName, sessionPath } from "./routes";
export {
  adapterStateSchema,
  compactChunks,
  foldSnapshot,
  replayChunkSchema,
  type SnapshotFold,
  snapshotFrames,
  snapshotHeadSchema,
  snapshotSegmentSchema,
  type TurnSnapshot,
} from "./turn-snapshot";
export {
  activeUserMessageId,
  bubbleId,
  isActiveTurnStatus,
  runIdOfBubble,
  type SessionStatus,
  sessionStatusSchema,
  TURN_STATUSES,
  type TurnStatus,
  turnStatusSchema,
} from "./turn-status";
export type { Frame, UIMessageChunk } from "./ui-message-chunk";
