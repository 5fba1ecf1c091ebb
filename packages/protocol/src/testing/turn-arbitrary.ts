import fc from "fast-check";
import type { BufferEntry, StoredEntry } from "../buffer-entry";

/**
 * fast-check arbitrary of realistic turns: reasoning, text and tool-call segments with
 * deltas (some empty), approvals with pauses, data entries, error markers, parts left
 * open for the end marker to close, and exactly one final end, last.
 */

const word = fc.constantFrom("alpha", "beta", "gamma", " ", "δ", "é", "😀", "", "line\n", '"q"');
const text = fc.array(word, { maxLength: 4 }).map((words) => words.join(""));

type Segment = (part: number, call: number, phase: number) => BufferEntry[];

const textSegment = fc
  .record({
    kind: fc.constantFrom("text" as const, "reasoning" as const),
    first: fc.option(text, { nil: undefined }),
    deltas: fc.array(text, { maxLength: 5 }),
    closed: fc.boolean(),
  })
  .map(
    ({ kind, first, deltas, closed }): Segment =>
      (part) => [
        { type: `${kind}-start`, part, ...(first === undefined ? {} : { text: first }) },
        ...deltas.map((delta): BufferEntry => ({ type: `${kind}-delta`, part, text: delta })),
        ...(closed ? [{ type: `${kind}-end`, part } as BufferEntry] : []),
      ],
  );

const toolSegment = fc
  .record({
    deltas: fc.array(fc.constantFrom('{"q":', '"x"', "}", ""), { maxLength: 4 }),
    available: fc.boolean(),
    outcome: fc.constantFrom("output" as const, "error" as const, "denied" as const, "none" as const),
  })
  .map(
    ({ deltas, available, outcome }): Segment =>
      (part, call) => {
        const toolCallId = `call-${call}`;
        const idField = { toolCallId };
        const entries: BufferEntry[] = [
          { type: "tool-input-start", part, toolName: "search", ...idField },
          ...deltas.map((delta): BufferEntry => ({ type: "tool-input-delta", part, delta, ...idField })),
        ];
        if (available) entries.push({ type: "tool-input-available", part, input: { q: "x" }, ...idField });
        if (outcome === "output") entries.push({ type: "tool-output", toolCallId, output: { hits: 3 } });
        if (outcome === "error") entries.push({ type: "tool-output", toolCallId, errorText: "boom" });
        if (outcome === "denied") entries.push({ type: "tool-output", toolCallId, denied: true });
        return entries;
      },
  );

const approvalSegment = fc.boolean().map(
  (streamInput): Segment =>
    (part, call, phase) => {
      const toolCallId = `approve-${call}`;
      const entries: BufferEntry[] = [];
      if (streamInput) {
        entries.push({ type: "tool-input-start", part, toolCallId, toolName: "deploy" });
        entries.push({ type: "tool-input-delta", part, toolCallId, delta: '{"env":"prod"}' });
      }
      entries.push({
        type: "approval-request",
        items: [{ toolCallId, toolName: "deploy", input: { env: "prod" } }],
      });
      entries.push({ type: "end", reason: "pause", phase });
      entries.push({ type: "approval-response", items: [{ toolCallId, approved: true }] });
      entries.push({ type: "tool-output", toolCallId, output: "deployed" });
      return entries;
    },
);

const miscSegment = fc
  .constantFrom(
    { type: "compaction", data: { tokens: 10 } } as BufferEntry,
    { type: "artifact", data: { name: "a.txt" } } as BufferEntry,
    { type: "lifecycle", name: "step" } as BufferEntry,
    { type: "message", role: "assistant", content: "whole" } as BufferEntry,
    { type: "runner-error", errorText: "transient" } as BufferEntry,
    { type: "interrupt", reason: "user_cancel" } as BufferEntry,
  )
  .map(
    (entry): Segment =>
      () => [entry],
  );

const segment = fc.oneof(
  { weight: 5, arbitrary: textSegment },
  { weight: 2, arbitrary: toolSegment },
  { weight: 1, arbitrary: approvalSegment },
  { weight: 1, arbitrary: miscSegment },
);

/** Arbitrary turn: a list of entries ending with one `final` end. */
export const turnEntriesArbitrary: fc.Arbitrary<BufferEntry[]> = fc
  .record({ segments: fc.array(segment, { maxLength: 8 }), failed: fc.boolean() })
  .map(({ segments, failed }) => {
    const entries: BufferEntry[] = [];
    let phase = 0;
    segments.forEach((make, index) => {
      for (const entry of make(index, index, phase)) {
        entries.push(entry);
        if (entry.type === "end") phase++;
      }
    });
    if (failed) entries.push({ type: "error", message: "The model failed." });
    entries.push({ type: "end", reason: "final", phase });
    return entries;
  });

/** Assigns Redis-style ids, several entries per millisecond, as a buffer would. */
export function storeEntries(entries: readonly BufferEntry[], startMs = 1718000000000): StoredEntry[] {
  return entries.map((entry, index) => ({
    id: `${startMs + Math.floor(index / 3)}-${index % 3}`,
    entry,
  }));
}
