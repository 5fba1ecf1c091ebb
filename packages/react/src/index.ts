// The framework-free core, re-exported so one import serves a React app (as
// @tanstack/react-query re-exports query-core).
export * from "@chat-replay/client";
export { sessionStatusQueryKey, type UseSessionStatusOptions, useSessionStatus } from "./use-session-status";
export {
  DEFAULT_RENDER_THROTTLE_MS,
  type UseVercelChatOptions,
  type UseVercelChatResult,
  useVercelChat,
} from "./use-vercel-chat";
