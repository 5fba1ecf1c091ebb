import type { BufferEntry } from "@chat-replay/protocol";
import {
  assistantMessage,
  fillerText,
  fillerWords,
  longTranscript,
  PARTS,
  PREVIEW_SESSION,
  userMessage,
} from "./fixtures";
import { type MockSessionSeed, textEntries } from "./mock-replay-backend";

/** Entries of a reasoning part of `words` words. */
function reasoningEntries(words: readonly string[], part: number): BufferEntry[] {
  return [
    { type: "reasoning-start", part, text: words[0] ?? "" },
    ...words.slice(1).map((word): BufferEntry => ({ type: "reasoning-delta", part, text: ` ${word}` })),
    { type: "reasoning-end", part },
  ];
}

/** Entries of a tool call with streamed input. */
function toolCallEntries(part: number, toolCallId: string, toolName: string, query: string): BufferEntry[] {
  const json = JSON.stringify({ query });
  return [
    { type: "tool-input-start", part, toolCallId, toolName },
    { type: "tool-input-delta", part, toolCallId, delta: json.slice(0, 8) },
    { type: "tool-input-delta", part, toolCallId, delta: json.slice(8) },
    { type: "tool-input-available", part, toolCallId, toolName, input: { query } },
  ];
}

/** A long answer with reasoning: preloaded half-way, then streaming slowly and never ending. */
function liveAnswer(): BufferEntry[] {
  return [...reasoningEntries(fillerWords(12, 4), 0), ...textEntries(fillerWords(160, 5), 1)];
}

/** Every preview scenario of the full workspace, by the state it shows. */
export const SCENARIOS = {
  idle: { sessionId: PREVIEW_SESSION, title: "Idle chat" },
  streaming: {
    sessionId: PREVIEW_SESSION,
    title: "Streaming",
    activeTurn: {
      prompt: "Explain resumable streams [[words=160]] [[reasoning=12]]",
      entries: liveAnswer(),
      preloaded: 40,
      entryDelayMs: 180,
      holdAt: 170,
    },
  },
  reconnecting: {
    sessionId: PREVIEW_SESSION,
    title: "Reconnecting",
    activeTurn: {
      prompt: "Drop me [[words=160]]",
      entries: liveAnswer(),
      preloaded: 50,
      dropAfterFrames: 45,
      afterDrop: "hang",
    },
  },
  gaveUp: {
    sessionId: PREVIEW_SESSION,
    title: "Gave up",
    activeTurn: {
      prompt: "Drop me for good [[words=160]]",
      entries: liveAnswer(),
      preloaded: 50,
      dropAfterFrames: 45,
      afterDrop: "offline",
    },
  },
  waitingForApproval: {
    sessionId: PREVIEW_SESSION,
    title: "Waiting for approval",
    activeTurn: {
      prompt: "Deploy the demo app [[tool=deploy]] [[approval]]",
      entries: [
        ...toolCallEntries(0, "call-3", "deploy", "Deploy the demo app"),
        {
          type: "approval-request",
          items: [{ toolCallId: "call-3", toolName: "deploy", input: { query: "Deploy the demo app" } }],
        },
        { type: "end", reason: "pause", phase: 0 },
      ],
      preloaded: 7,
      continuation: (approved) => [
        { type: "approval-response", items: [{ toolCallId: "call-3", approved }] },
        approved
          ? {
              type: "tool-output",
              toolCallId: "call-3",
              toolName: "deploy",
              output: { deployed: true, version: "1.0.0" },
            }
          : { type: "tool-output", toolCallId: "call-3", toolName: "deploy", denied: true },
        ...textEntries(fillerWords(30, 6), 1, 1),
      ],
    },
  },
  failed: {
    sessionId: PREVIEW_SESSION,
    title: "Failed turn",
    status: "failed",
    history: [
      userMessage("u-1", "Try something that breaks [[fail_after=40]]"),
      assistantMessage(`${PREVIEW_SESSION}:run-1`, [
        { ...PARTS.text, text: fillerText(22, 3) },
        PARTS.failureText,
      ]),
    ],
  },
  stopped: {
    sessionId: PREVIEW_SESSION,
    title: "Stopped turn",
    status: "stopped",
    history: [
      userMessage("u-1", "Please keep talking [[words=400]]"),
      assistantMessage(`${PREVIEW_SESSION}:run-1`, [
        { ...PARTS.text, text: fillerText(26, 7) },
        PARTS.interrupt,
      ]),
    ],
  },
  longTranscript: { sessionId: PREVIEW_SESSION, title: "Long transcript", history: longTranscript() },
  notYourSession: { sessionId: PREVIEW_SESSION, title: "Someone else's chat", foreign: true },
} satisfies Record<string, MockSessionSeed>;
