import { HEADERS } from "@chat-replay/protocol";

/**
 * Headers of every SSE response (§5). The bytes of the body come from the protocol's SSE
 * encoder (`encodeSseFrame`, `SSE_FINISH`, ...); only the HTTP side lives here.
 */
export function sseHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({
    "content-type": "text/event-stream",
    [HEADERS.uiMessageStream]: "v1",
    // A session's content: never stored by a shared or private cache, never transformed.
    "cache-control": "private, no-store, no-transform",
    "x-accel-buffering": "no",
    ...extra,
  });
}
