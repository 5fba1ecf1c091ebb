/** @chat-replay/server: the replay backend (in progress). */
export { ChatReplayError } from "@chat-replay/protocol";
