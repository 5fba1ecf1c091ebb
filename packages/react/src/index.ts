/** @chat-replay/react: hooks and a ChatTransport for resumable AI SDK chats (in progress). */
export { ChatReplayError } from "@chat-replay/protocol";
