import { z } from "zod";

// Every schema is built inside a `/* @__PURE__ */` IIFE: bundlers then drop the ones an app
// never uses (and zod with them) instead of running zod at module load.

/** The lifecycle states of a session's turn (§2). */
export const TURN_STATUSES = ["idle", "running", "waiting_for_approval", "stopped", "failed"] as const;

/** Schema of a turn state. */
export const turnStatusSchema = /* @__PURE__ */ (() => z.enum(TURN_STATUSES))();

/** One of `idle | running | waiting_for_approval | stopped | failed`. */
export type TurnStatus = z.infer<typeof turnStatusSchema>;

/** Active turns refuse new prompts and can be attached to (§2). */
export function isActiveTurnStatus(status: TurnStatus): boolean {
  return status === "running" || status === "waiting_for_approval";
}

/** Schema of `GET /api/sessions/:id/status` (§3), wire names as the protocol spells them. */
export const sessionStatusSchema = /* @__PURE__ */ (() =>
  z.object({
    turn_status: turnStatusSchema,
    curr_run_id: z.string().nullable(),
    prompt: z.string().nullable(),
    prompt_message_id: z.string().nullable(),
    version: z.number().int().nonnegative(),
  }))();

/** The status payload: cheap to poll, never loads history. */
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

/** The bubble id of a run: one assistant message per turn, across reconnects (§5). */
export function bubbleId(sessionId: string, runId: string): string {
  return `${sessionId}:${runId}`;
}

/** The run id inside a bubble id `<session_id>:<run_id>`, or null if it is not this session's bubble. */
export function runIdOfBubble(messageId: string | undefined, sessionId: string): string | null {
  return messageId?.startsWith(`${sessionId}:`) ? messageId.slice(sessionId.length + 1) : null;
}

/** The id an observer gives a prompt it did not send and has no client id for (§7). */
export function activeUserMessageId(sessionId: string, runId: string): string {
  return `active-user:${sessionId}:${runId}`;
}
