import { z } from "zod";

/**
 * Request bodies (§3), validated before anything is minted or started. Deep validation
 * of UI messages is left to the AI SDK's `validateUIMessages`.
 */

const uiMessage = z.object({
  id: z.string().min(1).max(200),
  role: z.literal("user"),
  parts: z
    .array(z.looseObject({ type: z.string().min(1).max(100) }))
    .min(1)
    .max(1000),
  metadata: z.unknown().optional(),
});

/** `POST /messages`: `{ message }`, or the stock AI SDK body `{ messages }` (the last one is the prompt). */
export const sendMessageBodySchema = z.union([
  z.looseObject({ message: uiMessage }),
  z.looseObject({ messages: z.array(z.looseObject({})).min(1).max(10_000) }),
]);

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

/** The first issue of a failed parse as `field: problem`, so a 400 names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid body";
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`;
}

export { uiMessage as userMessageSchema };
