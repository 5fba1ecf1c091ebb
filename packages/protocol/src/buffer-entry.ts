import { z } from "zod";

// Every schema is built inside a `/* @__PURE__ */` IIFE: bundlers then drop the ones an app
// never uses (and zod with them) instead of running zod at module load.

/**
 * Buffer entries (§4): what a turn runner appends to a turn's stream buffer. Agent events
 * are flattened into one union discriminated by `type`; `message`, `error` and `end` are
 * the protocol's other entry kinds. Stores validate what they read back with
 * {@link bufferEntrySchema}.
 */

const partIndex = /* @__PURE__ */ (() => z.number().int().nonnegative())();
const jsonValue = /* @__PURE__ */ (() => z.json())();

/** One tool call awaiting a human decision. */
export const approvalItemSchema = /* @__PURE__ */ (() =>
  z.object({
    toolCallId: z.string().min(1),
    toolName: z.string().min(1),
    input: jsonValue,
  }))();

/** A tool call that needs approval before it runs. */
export type ApprovalItem = z.infer<typeof approvalItemSchema>;

const textLike = <T extends string>(prefix: T) =>
  [
    z.object({ type: z.literal(`${prefix}-start`), part: partIndex, text: z.string().optional() }),
    z.object({ type: z.literal(`${prefix}-delta`), part: partIndex, text: z.string() }),
    z.object({ type: z.literal(`${prefix}-end`), part: partIndex }),
  ] as const;

/** Schema of every buffer entry. */
export const bufferEntrySchema = /* @__PURE__ */ (() =>
  z.discriminatedUnion("type", [
    ...textLike("text"),
    ...textLike("reasoning"),
    z.object({
      type: z.literal("tool-input-start"),
      part: partIndex,
      toolCallId: z.string().min(1).optional(),
      toolName: z.string().min(1),
    }),
    z.object({
      type: z.literal("tool-input-delta"),
      part: partIndex,
      toolCallId: z.string().min(1).optional(),
      delta: z.string(),
    }),
    z.object({
      type: z.literal("tool-input-available"),
      part: partIndex,
      toolCallId: z.string().min(1).optional(),
      toolName: z.string().min(1).optional(),
      input: jsonValue,
    }),
    z.object({
      type: z.literal("tool-output"),
      toolCallId: z.string().min(1),
      toolName: z.string().min(1).optional(),
      output: jsonValue.optional(),
      /** Set when the tool failed; the output is then this text. */
      errorText: z.string().optional(),
      /** Set when a human denied the call. */
      denied: z.boolean().optional(),
    }),
    z.object({ type: z.literal("approval-request"), items: z.array(approvalItemSchema).min(1) }),
    /** The decisions a continuation was started with, so every reader sees them (§7). */
    z.object({
      type: z.literal("approval-response"),
      items: z
        .array(
          z.object({ toolCallId: z.string().min(1), approved: z.boolean(), reason: z.string().optional() }),
        )
        .min(1),
    }),
    z.object({ type: z.literal("compaction"), data: jsonValue }),
    z.object({ type: z.literal("artifact"), data: jsonValue }),
    z.object({ type: z.literal("interrupt"), reason: z.string() }),
    z.object({ type: z.literal("runner-error"), errorText: z.string() }),
    z.object({ type: z.literal("lifecycle"), name: z.string() }),
    z.object({
      type: z.literal("message"),
      role: z.enum(["system", "user", "assistant", "tool"]),
      content: jsonValue,
      approvalRequest: z.array(approvalItemSchema).min(1).optional(),
    }),
    z.object({ type: z.literal("error"), message: z.string() }),
    z.object({
      type: z.literal("end"),
      reason: z.enum(["pause", "final"]),
      phase: z.number().int().nonnegative(),
    }),
  ]))();

/** One buffer entry, as appended by a runner. */
export type BufferEntry = z.infer<typeof bufferEntrySchema>;

/** The `type` of a buffer entry. */
export type BufferEntryType = BufferEntry["type"];

/** A buffer entry with the id the buffer assigned it. */
export interface StoredEntry {
  /** `<ms>-<seq>` */
  readonly id: string;
  readonly entry: BufferEntry;
}

/** An end marker entry (§4). */
export type EndEntry = Extract<BufferEntry, { type: "end" }>;

/** True for `end` markers, the only entries that can stop a reader (§5). */
export function isEndEntry(entry: BufferEntry): entry is EndEntry {
  return entry.type === "end";
}
