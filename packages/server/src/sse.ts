import { type Frame, HEADERS, type UIMessageChunk } from "@chat-replay/protocol";

/** `data: [DONE]`, the stream terminator (§5). */
export const SSE_DONE = "data: [DONE]\n\n";
/** A comment line: keeps proxies from closing an idle stream; no id, moves no cursor (§4). */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/** Encodes one frame: `id:` when it has one, then `data:` with the chunk JSON (§5). */
export function encodeFrame(frame: Frame): string {
  const data = `data: ${JSON.stringify(frame.chunk)}\n\n`;
  return frame.id === null ? data : `id: ${frame.id}\n${data}`;
}

/** Encodes a chunk that carries no id (`start`, `finish`). */
export function encodeChunk(chunk: UIMessageChunk): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** Headers of every SSE response (§5). */
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

/** A finish-only stream (§6): `finish`, `[DONE]`; no `start`, no content, no new bubble. */
export function finishOnlyBody(): string {
  return encodeChunk({ type: "finish" }) + SSE_DONE;
}
