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
  ATTACH_MODES,
  type AttachDecision,
  type AttachInput,
  type AttachMode,
  type AttachRequest,
  type AttachTurn,
  attachCursor,
  attachHeaders,
  CURSOR_VERDICTS,
  type CursorVerdict,
  decideAttach,
  type ReplayMode,
  readAttachHeaders,
} from "./decide-attach";
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
export { framesAfter } from "./frames-after";
export { type ReplayFramesOptions, replayFrames } from "./replay-frames";
export { HEADERS, ROUTES, type RouteName, sessionPath } from "./routes";
export {
  encodeSseChunk,
  encodeSseEvent,
  encodeSseFrame,
  SSE_DONE,
  SSE_FINISH,
  SSE_KEEPALIVE,
  type SseEvent,
} from "./sse-encoder";
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
