export { ChatReplayError } from "@chat-replay/protocol";
export { adoptHistory } from "./adopt-history";
export { type AttachDecision, AttachTracker } from "./attach-tracker";
export { browserConnectivity, type Connectivity, ManualConnectivity } from "./connectivity";
export { ReplayChat, type ReplayChatSnapshot } from "./replay-chat";
export {
  type CancelResult,
  type CreatedSession,
  ReplayClient,
  type ReplayClientOptions,
  type RequestExtras,
  type ShareLink,
} from "./replay-client";
export { ReplayHttpError, StaleCursorError, StreamDisconnectedError } from "./replay-errors";
export {
  type ChatLike,
  ReplaySession,
  type ReplaySessionOptions,
  type ReplaySessionSnapshot,
} from "./replay-session";
export {
  type ConnectionState,
  createReplayTransport,
  ReplayTransport,
  type ReplayTransportOptions,
} from "./replay-transport";
export { lastEventIdRequest, MAX_SENT_CURSOR_BYTES } from "./send-cursor";
export { isActiveStatus, type SessionStatusView, toStatusView } from "./session-status-client";
export { type ActivePrompt, messageText, upsertActivePromptMessage } from "./upsert-active-prompt-message";
