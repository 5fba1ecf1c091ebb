import {
  compareEventCursors,
  type Frame,
  parseEventId,
  replayFrames,
  type StoredEntry,
  ZERO_ENTRY_ID,
} from "@chat-replay/protocol";
import { assembleStream, droppingFetch, userMessage } from "@chat-replay/test-fixture";
import type { UIMessage } from "ai";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createReplayTransport, type ReplayTransport } from "../src/replay-transport";

/**
 * §7 "unnumbered content frames travel with the numbered frame that follows them": a drop
 * between an unnumbered frame (a turn snapshot's leading frames, a synthesized part opening)
 * and its numbered frame must not hand the unnumbered frames to the AI SDK, because the
 * reconnect (cursor from before the group) delivers them again.
 */

const SESSION = "s1";
const RUN = "r1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (frame: Frame) =>
  `${frame.id === null ? "" : `id: ${frame.id}\n`}data: ${JSON.stringify(frame.chunk)}\n\n`;
const START = encode({ id: null, chunk: { type: "start", messageId: `${SESSION}:${RUN}` } });
/** §5 position event of a response that does not resume at a client cursor. */
const POSITION = `id: ${ZERO_ENTRY_ID}\n\n`;
const FINISH = `${encode({ id: null, chunk: { type: "finish" } })}data: [DONE]\n\n`;

/** A turn as the server answers it: the frames after a cursor (`null`: a full replay). */
interface Turn {
  readonly name: string;
  readonly framesAfter: (cursor: string | null) => Frame[];
}

const REASONING = "1718000000000-0:0";
const TEXT = "1718000000050-1:0";
const S = "1718000099999-3";
/** A turn snapshot through entry S (§6 snapshot replay): unnumbered frames, the last one `id: S`. */
const snapshotGroup = (last: Frame["chunk"]): Frame[] => [
  { id: null, chunk: { type: "reasoning-start", id: REASONING } },
  { id: null, chunk: { type: "reasoning-delta", id: REASONING, delta: "Thinking hard é😀" } },
  { id: null, chunk: { type: "reasoning-end", id: REASONING } },
  { id: null, chunk: { type: "text-start", id: TEXT } },
  { id: S, chunk: last },
];

/** A snapshot group, then the numbered tail; a cursor at or after S resumes in the tail. */
function snapshotTurn(name: string, group: Frame[], tail: Frame[]): Turn {
  return {
    name,
    framesAfter: (cursor) => {
      const position = parseEventId(cursor);
      if (!position || position.entryId === ZERO_ENTRY_ID) return [...group, ...tail];
      return tail.filter((frame) => compareEventCursors(parseEventId(frame.id)!, position) > 0);
    },
  };
}

/** Entries whose part starts were trimmed: the adapter opens each part with an unnumbered frame. */
const trimmed: StoredEntry[] = [
  { id: "2000-0", entry: { type: "text-delta", part: 0, text: "Hel" } },
  { id: "2000-1", entry: { type: "reasoning-delta", part: 1, text: "why é😀" } },
  { id: "2000-2", entry: { type: "text-delta", part: 0, text: "lo" } },
  { id: "2000-3", entry: { type: "end", reason: "final", phase: 0 } },
];

const turns: Turn[] = [
  snapshotTurn("a snapshot group, then numbered frames", snapshotGroup(textDelta("Hello wörld")), [
    { id: "1718000100000-0:0", chunk: textDelta(" next") },
    { id: "1718000100001-0:0", chunk: { type: "text-end", id: TEXT } },
  ]),
  snapshotTurn(
    "a snapshot group followed directly by finish",
    [
      ...snapshotGroup(textDelta("Hello wörld")).slice(0, -1),
      { id: null, chunk: textDelta("Hello wörld") },
      { id: S, chunk: { type: "text-end", id: TEXT } },
    ],
    [],
  ),
  {
    name: "synthesized part openings (unnumbered text-start / reasoning-start before a numbered delta)",
    // The server's own rule: replayFrames keeps an unnumbered frame with the numbered one after it.
    framesAfter: (cursor) => [...replayFrames(trimmed, { cursor: parseEventId(cursor) })],
  },
];

function textDelta(delta: string): Frame["chunk"] {
  return { type: "text-delta", id: TEXT, delta };
}

/** The response body for `cursor`: a full replay starts with the position event. */
function body(turn: Turn, cursor: string | null): string {
  const frames = turn.framesAfter(cursor);
  return START + (cursor === null ? POSITION : "") + frames.map(encode).join("") + FINISH;
}

/** The id of the last complete id-bearing event within the first `cut` bytes of `text`. */
function lastCompleteId(text: string, cut: number): string | null {
  const prefix = decoder.decode(encoder.encode(text).slice(0, cut));
  const complete = prefix.slice(0, prefix.lastIndexOf("\n\n") + 2);
  return [...complete.matchAll(/^id: (.+)$/gm)].map((match) => match[1]!).at(-1) ?? null;
}

const sse = { "content-type": "text/event-stream", "x-vercel-ai-ui-message-stream": "v1" };
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Serves `first` for the POST and the server's answer to each `/stream` cursor; records the cursors. */
function serve(turn: Turn, first: Uint8Array | string): (string | null)[] {
  const cursors: (string | null)[] = [];
  server.use(
    http.post(
      `http://test/api/sessions/${SESSION}/messages`,
      () => new HttpResponse(first, { headers: sse }),
    ),
    http.get(`http://test/api/sessions/${SESSION}/stream`, ({ request }) => {
      const cursor = request.headers.get("last-event-id");
      cursors.push(cursor);
      return new HttpResponse(body(turn, cursor), {
        headers: { ...sse, "x-chat-replay-mode": cursor ? "resume" : "full" },
      });
    }),
  );
  return cursors;
}

function post(transport: ReplayTransport) {
  return transport.sendMessages({
    trigger: "submit-message",
    chatId: SESSION,
    messageId: undefined,
    messages: [userMessage("hi")],
    abortSignal: undefined,
  });
}

async function send(fetchImpl?: typeof fetch): Promise<UIMessage | undefined> {
  const transport = createReplayTransport({
    baseUrl: "http://test",
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  return assembleStream(await post(transport));
}

/** Each part as `[type, text]`, so a duplicated part or text shows in the diff. */
function partTexts(message: UIMessage | undefined): [string, string][] {
  return (message?.parts ?? []).map((part) => [part.type, "text" in part ? part.text : ""]);
}

/** How a response body is cut: it ends cleanly (a proxy's cap), or fails with a network TypeError. */
const cuts = {
  "ends cleanly": (text: string, cut: number) => ({ first: encoder.encode(text).slice(0, cut) }),
  "fails (connection reset)": (text: string, cut: number) => ({
    first: text,
    fetch: droppingFetch(
      (input, init) => fetch(input, init),
      (response) => (response === 0 ? cut : null),
    ),
  }),
};

describe("unnumbered frames travel with the numbered frame that follows them (§7 Cursor)", () => {
  it("the uninterrupted responses assemble every part once", async () => {
    const expected: Record<string, [string, string][]> = {
      [turns[0]!.name]: [
        ["reasoning", "Thinking hard é😀"],
        ["text", "Hello wörld next"],
      ],
      [turns[1]!.name]: [
        ["reasoning", "Thinking hard é😀"],
        ["text", "Hello wörld"],
      ],
      [turns[2]!.name]: [
        ["text", "Hello"],
        ["reasoning", "why é😀"],
      ],
    };
    for (const turn of turns) {
      const cursors = serve(turn, body(turn, null));
      expect(partTexts(await send()), turn.name).toEqual(expected[turn.name]);
      expect(cursors, turn.name).toEqual([]);
    }
  });

  for (const turn of turns) {
    for (const [mode, cutAt] of Object.entries(cuts)) {
      // One reconnect per byte of the body: seconds of CPU, more when the machine is busy.
      it(`${turn.name}: a body that ${mode} at any byte reconnects from before the group or at its numbered frame, and no part or text repeats`, {
        timeout: 60_000,
      }, async () => {
        const full = body(turn, null);
        serve(turn, full);
        const reference = await send();
        const length = encoder.encode(full).length;
        for (let cut = 1; cut < length; cut++) {
          const { first, fetch: fetchImpl } = { fetch: undefined, ...cutAt(full, cut) };
          const cursors = serve(turn, first);
          const message = await send(fetchImpl);
          // Once `finish` has fully arrived the turn is complete: no reconnect is needed.
          const finished = decoder
            .decode(encoder.encode(full).slice(0, cut))
            .includes('{"type":"finish"}\n\n');
          expect(cursors, `cut at ${cut}`).toEqual(finished ? [] : [lastCompleteId(full, cut)]);
          expect(partTexts(message), `cut at ${cut}`).toEqual(partTexts(reference));
          expect(message, `cut at ${cut}`).toEqual(reference);
        }
      });
    }
  }

  it("a cut inside a snapshot group resumes from 0-0; a cut right after its numbered frame resumes at S", async () => {
    const turn = turns[0]!;
    const full = body(turn, null);
    const groupEnd = full.indexOf(`id: ${S}\n`);
    const sEnd = full.indexOf("\n\n", groupEnd) + 2;
    const inside = serve(turn, encoder.encode(full.slice(0, groupEnd)));
    expect(partTexts(await send())).toEqual([
      ["reasoning", "Thinking hard é😀"],
      ["text", "Hello wörld next"],
    ]);
    expect(inside).toEqual([ZERO_ENTRY_ID]);
    const after = serve(turn, encoder.encode(full.slice(0, sEnd)));
    expect(partTexts(await send())).toEqual([
      ["reasoning", "Thinking hard é😀"],
      ["text", "Hello wörld next"],
    ]);
    expect(after).toEqual([S]);
  });

  it("the cursor moves to S only when the AI SDK pulls the group's last chunk", async () => {
    serve(turns[0]!, body(turns[0]!, null));
    const transport = createReplayTransport({ baseUrl: "http://test" });
    const reader = (await post(transport)).getReader();
    const seen: [string, string | null][] = [];
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      seen.push([read.value.type, transport.lastEventId]);
    }
    expect(seen).toEqual([
      ["start", null],
      ["reasoning-start", ZERO_ENTRY_ID],
      ["reasoning-delta", ZERO_ENTRY_ID],
      ["reasoning-end", ZERO_ENTRY_ID],
      ["text-start", ZERO_ENTRY_ID],
      ["text-delta", S],
      ["text-delta", "1718000100000-0:0"],
      ["text-end", "1718000100001-0:0"],
      ["finish", "1718000100001-0:0"],
    ]);
  });

  it("unnumbered content chunks right before finish are delivered (the response was complete)", async () => {
    const frames: Frame[] = [
      { id: null, chunk: { type: "text-start", id: TEXT } },
      { id: null, chunk: textDelta("all of it") },
      { id: null, chunk: { type: "text-end", id: TEXT } },
    ];
    const cursors = serve(turns[0]!, START + POSITION + frames.map(encode).join("") + FINISH);
    expect(partTexts(await send())).toEqual([["text", "all of it"]]);
    expect(cursors).toEqual([]);
  });
});
