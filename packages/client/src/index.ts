export { ChatReplayError } from "@chat-replay/protocol";
export { adoptHistory } from "./adopt-history";
export { type AttachDecision, AttachTracker } from "./attach-tracker";
export { ReplayHttpError, StaleCursorError, StreamDisconnectedError } from "./replay-errors";
export {
  type ConnectionState,
  createReplayTransport,
  ReplayTransport,
  type ReplayTransportOptions,
} from "./replay-transport";
export {
  isActiveStatus,
  SessionStatusClient,
  type SessionStatusView,
  toStatusView,
} from "./session-status-client";
export { type ActivePrompt, messageText, upsertActivePromptMessage } from "./upsert-active-prompt-message";
