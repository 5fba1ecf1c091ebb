import type { Frame, UIMessageChunk } from "./ui-message-chunk";

/**
 * The one SSE encoder of the protocol (§5): every server, mock and tool writes frames with
 * these, so the bytes on the wire are spelled in one place.
 */

/** `data: [DONE]`, the stream terminator (§5). */
export const SSE_DONE = "data: [DONE]\n\n";

/** A comment event: keeps proxies from closing an idle stream; no id, moves no cursor (§4). */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/**
 * `finish` then `[DONE]`: how a response that reached its stopping end marker ends (§5), and
 * on its own the whole body of a finish-only answer (§6).
 */
export const SSE_FINISH = `data: ${/* @__PURE__ */ JSON.stringify({ type: "finish" } satisfies UIMessageChunk)}\n\n${SSE_DONE}`;

/** One SSE event: an `id:` line when `id` is given, `data:` lines when `data` is given. */
export interface SseEvent {
  /** The event id; must contain no CR or LF (a line break would end the field). */
  readonly id?: string;
  /** The payload; each of its lines becomes one `data:` line. */
  readonly data?: string;
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Encodes one event. An id-only event (`{ id }`) is the position event of §5; clients commit
 * its id and dispatch nothing.
 * @example encodeSseEvent({ id: "0-0" }) // "id: 0-0\n\n"
 */
export function encodeSseEvent(event: SseEvent): string {
  let text = "";
  if (event.id !== undefined) {
    if (LINE_BREAK.test(event.id)) throw new TypeError("An SSE event id cannot contain a line break.");
    text += `id: ${event.id}\n`;
  }
  if (event.data !== undefined) {
    for (const line of event.data.split(LINE_BREAK)) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/**
 * Encodes one frame: `id: <E>:<k>` when it has an id, then `data:` with the chunk's JSON (§5).
 * JSON never contains a raw line break, so the chunk is always one `data:` line.
 * @example encodeSseFrame({ id: "5-0:1", chunk }) // 'id: 5-0:1\ndata: {"type":…}\n\n'
 */
export function encodeSseFrame(frame: Frame): string {
  const data = `data: ${JSON.stringify(frame.chunk)}\n\n`;
  return frame.id === null ? data : `id: ${frame.id}\n${data}`;
}

/** Encodes a chunk that carries no id (`start`, `finish`; §5 "No id"). */
export function encodeSseChunk(chunk: UIMessageChunk): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}
