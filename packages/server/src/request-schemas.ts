import { z } from "zod";

/**
 * Request bodies (§3), validated before anything is minted or started. Deep validation
 * of UI messages is left to the AI SDK's `validateUIMessages`.
 */

const textPart = z.looseObject({ type: z.literal("text"), text: z.string().max(200_000) });
const filePart = z.looseObject({
  type: z.literal("file"),
  mediaType: z.string().max(200),
  url: z.string().max(900_000),
});

/** Any part with a `type`; text and file parts must also carry their fields. */
const part = z.looseObject({ type: z.string().min(1).max(100) }).superRefine((value, ctx) => {
  const known = value.type === "text" ? textPart : value.type === "file" ? filePart : null;
  const result = known?.safeParse(value);
  for (const issue of result?.success === false ? result.error.issues : []) {
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }
});

const uiMessage = z.object({
  id: z.string().min(1).max(200),
  role: z.literal("user"),
  parts: z.array(part).min(1).max(1000),
  metadata: z.unknown().optional(),
});

/** The prompt of `POST /messages`: one user UI message. */
export const userMessageSchema = uiMessage;

/** The stock AI SDK body `{ id, messages, trigger }`: the last message is the prompt. */
export const stockSendBodySchema = z.looseObject({ messages: z.array(z.unknown()).min(1).max(10_000) });

/** `POST /continue` */
export const continueBodySchema = z.object({
  decisions: z
    .array(
      z.object({
        approvalId: z.string().min(1).max(200),
        approved: z.boolean(),
        reason: z.string().max(2000).optional(),
      }),
    )
    .min(1)
    .max(100),
});

/** `POST /cancel` */
export const cancelBodySchema = z.object({ reason: z.string().min(1).max(64).optional() });

/** `POST /api/sessions` */
export const createSessionBodySchema = z.object({ title: z.string().max(200).optional() });

/** Deepest JSON nesting accepted in a request body; deeper input is refused with 400. */
export const MAX_JSON_DEPTH = 32;

/** Field names of our request schemas; only these (and array indices) appear in a depth error. */
const KNOWN_FIELDS = new Set(["message", "messages", "parts", "decisions", "title", "reason", "metadata"]);

/**
 * Where the first value nested deeper than `limit` in parsed JSON sits, or null: the path's
 * leading known field names (never a key the client chose, which could be anything), else
 * `body`. Iterative, so hostile nesting cannot overflow the stack.
 */
export function tooDeepPath(value: unknown, limit = MAX_JSON_DEPTH): string | null {
  const stack: [unknown, string[]][] = [[value, []]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (path.length >= limit) {
      const known: string[] = [];
      for (const key of path.slice(0, 3)) {
        if (!KNOWN_FIELDS.has(key) && !/^\d+$/.test(key)) break;
        known.push(key);
      }
      return known.length === 0 || /^\d+$/.test(known[0]!) ? "body" : known.join(".");
    }
    for (const [key, child] of Object.entries(current)) stack.push([child, [...path, key]]);
  }
  return null;
}

/** The first issue of a failed parse as `field: problem`, so a 400 names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid body";
  // For a union, name the deepest failing field of its closest branch.
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // The branch whose `type` matched is the one the client meant.
    const branch =
      issue.errors.find((errors) => errors.every((inner) => inner.path[0] !== "type")) ?? issue.errors[0];
    const inner = branch?.[0];
    if (inner) return `${[...issue.path, ...inner.path].join(".") || "body"}: ${inner.message}`;
  }
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`;
}
