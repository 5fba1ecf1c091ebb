import { z } from "zod";
import { type AdapterState, adapt, INITIAL_ADAPTER_STATE } from "./adapter";
import type { EndEntry, StoredEntry } from "./buffer-entry";
import type { Frame, UIMessageChunk } from "./ui-message-chunk";

/**
 * Turn snapshots (§4 "Snapshot and checkpoints"): the fold of a turn's buffer through one
 * entry S, kept next to the buffer so the buffer is never the only copy of folded content.
 * A reader without a usable cursor gets the snapshot as a few frames (§6 "snapshot
 * replay"), then the entries after S; history is assembled from the snapshot plus the tail.
 */
export interface TurnSnapshot {
  /** S, the last entry folded into this snapshot. */
  readonly entryId: string;
  /** Adapter state after S: the fold of the tail starts from here. */
  readonly state: AdapterState;
  /** Every frame of the entries through S, compacted: a part's deltas merged into one. */
  readonly chunks: readonly UIMessageChunk[];
  /** Phase of entry S (pause ends before it); a pause end has its own phase (§5 Stopping). */
  readonly phase: number;
  /** Entry S itself when it is an end marker, so a reader can stop right after the snapshot. */
  readonly end: EndEntry | null;
}

/** What {@link foldSnapshot} returns: the new snapshot and the compacted chunks it added. */
export interface SnapshotFold {
  readonly snapshot: TurnSnapshot;
  /** The new entries' chunks, compacted among themselves: one segment of a stored snapshot. */
  readonly added: readonly UIMessageChunk[];
}

/** The key under which deltas of one part merge; `null` for chunks that are not deltas. */
function deltaKey(chunk: UIMessageChunk): string | null {
  if (chunk.type === "text-delta") return `text:${chunk.id}`;
  if (chunk.type === "reasoning-delta") return `reasoning:${chunk.id}`;
  if (chunk.type === "tool-input-delta") return `tool:${chunk.toolCallId}`;
  return null;
}

/** The merge key a chunk closes: after a part's end no delta of it follows. */
function closedKey(chunk: UIMessageChunk): string | null {
  if (chunk.type === "text-end") return `text:${chunk.id}`;
  if (chunk.type === "reasoning-end") return `reasoning:${chunk.id}`;
  if (chunk.type === "tool-input-available") return `tool:${chunk.toolCallId}`;
  return null;
}

function mergeDelta(into: UIMessageChunk, next: UIMessageChunk): UIMessageChunk {
  if (into.type === "tool-input-delta" && next.type === "tool-input-delta") {
    return { ...into, inputTextDelta: into.inputTextDelta + next.inputTextDelta };
  }
  if ((into.type === "text-delta" || into.type === "reasoning-delta") && into.type === next.type) {
    return { ...into, delta: into.delta + next.delta };
  }
  return into;
}

/**
 * Compacts a chunk sequence without changing the message it assembles to: every delta of
 * a part is merged into that part's first delta (parts keep their order, which `*-start`
 * fixes). An `error` chunk is a barrier: nothing moves across it, so a client that stops
 * at an error sees exactly what it saw live.
 */
export function compactChunks(chunks: Iterable<UIMessageChunk>): UIMessageChunk[] {
  const out: UIMessageChunk[] = [];
  const openDelta = new Map<string, number>();
  for (const chunk of chunks) {
    const key = deltaKey(chunk);
    if (key !== null) {
      const at = openDelta.get(key);
      if (at === undefined) {
        openDelta.set(key, out.length);
        out.push(chunk);
      } else {
        out[at] = mergeDelta(out[at]!, chunk);
      }
      continue;
    }
    if (chunk.type === "error") openDelta.clear();
    const closed = closedKey(chunk);
    if (closed !== null) openDelta.delete(closed);
    out.push(chunk);
  }
  return out;
}

/** The phase the entry after `snapshot` belongs to. */
function nextPhase(snapshot: TurnSnapshot | null): number {
  if (!snapshot) return 0;
  return snapshot.end?.reason === "pause" ? snapshot.end.phase + 1 : snapshot.phase;
}

/**
 * Extends `base` (null: the turn's start) by `entries`, which must be the entries right
 * after `base.entryId`, in order. Pure. Returns null when there is nothing to fold.
 * Snapshot chunks + `replayFrames(tail, { state })` assemble to the same message as the
 * whole buffer (checked by property tests).
 */
export function foldSnapshot(base: TurnSnapshot | null, entries: Iterable<StoredEntry>): SnapshotFold | null {
  let state = base?.state ?? INITIAL_ADAPTER_STATE;
  let phase = nextPhase(base);
  let last: StoredEntry | null = null;
  let end: EndEntry | null = null;
  const fresh: UIMessageChunk[] = [];
  for (const stored of entries) {
    const result = adapt(state, stored);
    state = result.state;
    for (const frame of result.frames) fresh.push(frame.chunk);
    const entry = stored.entry;
    if (entry.type === "end") {
      end = entry;
      phase = entry.phase;
    } else {
      if (end?.reason === "pause") phase = end.phase + 1;
      end = null;
    }
    last = stored;
  }
  if (last === null) return null;
  const added = compactChunks(fresh);
  const chunks = base ? compactChunks([...base.chunks, ...added]) : added;
  return { snapshot: { entryId: last.id, state, chunks, phase, end }, added };
}

/**
 * The snapshot as SSE frames (§6 "snapshot replay"): its chunks without ids, except the
 * last, which carries the bare entry id S ("every frame of every entry through S seen").
 * A client applies them as one unit: unnumbered frames travel with the numbered frame that
 * follows them (§7 Cursor), so its cursor is either before the snapshot or at S.
 */
export function snapshotFrames(snapshot: TurnSnapshot): Frame[] {
  return snapshot.chunks.map((chunk, index) => ({
    id: index === snapshot.chunks.length - 1 ? snapshot.entryId : null,
    chunk,
  }));
}

// Every schema is built inside a `/* @__PURE__ */` IIFE: bundlers then drop the ones an app
// never uses (and zod with them) instead of running zod at module load.

const openPartSchema = /* @__PURE__ */ (() =>
  z.union([
    z.object({ kind: z.enum(["text", "reasoning"]), index: z.number().int(), id: z.string() }),
    z.object({
      kind: z.literal("tool"),
      index: z.number().int(),
      toolCallId: z.string(),
      toolName: z.string(),
    }),
  ]))();

/** Schema of a stored adapter state (validated when a store reads one back). */
export const adapterStateSchema: z.ZodType<AdapterState> = /* @__PURE__ */ (() =>
  z.object({
    openParts: z.array(openPartSchema),
    toolCalls: z.record(
      z.string(),
      z.object({ toolName: z.string(), inputEmitted: z.boolean(), cachedInput: z.json().optional() }),
    ),
  }) as z.ZodType<AdapterState>)();

const id = /* @__PURE__ */ (() => z.string())();
/** Schema of the chunks the adapter emits (the {@link UIMessageChunk} subset). */
export const replayChunkSchema: z.ZodType<UIMessageChunk> = /* @__PURE__ */ (() =>
  z.union([
    z.object({ type: z.literal("start"), messageId: id.optional() }),
    z.object({ type: z.literal("finish") }),
    z.object({ type: z.enum(["text-start", "text-end", "reasoning-start", "reasoning-end"]), id }),
    z.object({ type: z.enum(["text-delta", "reasoning-delta"]), id, delta: z.string() }),
    z.object({ type: z.literal("tool-input-start"), toolCallId: id, toolName: id }),
    z.object({ type: z.literal("tool-input-delta"), toolCallId: id, inputTextDelta: z.string() }),
    z.object({ type: z.literal("tool-input-available"), toolCallId: id, toolName: id, input: z.unknown() }),
    z.object({ type: z.literal("tool-output-available"), toolCallId: id, output: z.unknown() }),
    z.object({ type: z.literal("tool-output-error"), toolCallId: id, errorText: z.string() }),
    z.object({ type: z.literal("tool-output-denied"), toolCallId: id }),
    z.object({ type: z.literal("tool-approval-request"), approvalId: id, toolCallId: id }),
    z.object({
      type: z.literal("tool-approval-response"),
      approvalId: id,
      approved: z.boolean(),
      reason: z.string().optional(),
    }),
    z.object({ type: z.templateLiteral(["data-", z.string()]), id, data: z.unknown() }),
    z.object({ type: z.literal("error"), errorText: z.string() }),
  ]) as z.ZodType<UIMessageChunk>)();

const endEntrySchema = /* @__PURE__ */ (() =>
  z.object({
    type: z.literal("end"),
    reason: z.enum(["pause", "final"]),
    phase: z.number().int().nonnegative(),
  }))();

/** Schema of a stored snapshot's fixed fields (its chunks are validated per segment). */
export const snapshotHeadSchema = /* @__PURE__ */ (() =>
  z.object({
    entryId: z.string().regex(/^\d+-\d+$/),
    state: adapterStateSchema,
    phase: z.number().int().nonnegative(),
    end: endEntrySchema.nullable(),
  }))();

/** Schema of one stored segment of snapshot chunks. */
export const snapshotSegmentSchema = /* @__PURE__ */ (() => z.array(replayChunkSchema))();
