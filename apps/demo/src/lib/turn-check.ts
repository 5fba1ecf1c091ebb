/** Words this tab received for its last finished turn and what the server stored for it. */
export interface TurnCheck {
  readonly messageId: string;
  /** Answer words in the bubble when its stream finished in this tab. */
  readonly received: number;
  /** Answer words of the stored message; `null` until the turn ended and history answered. */
  readonly stored: number | null;
}

/** What the check says: stored words still unknown, the same as received, or not. */
export type TurnVerdict = "pending" | "match" | "differ";

/**
 * The check to show for the chat as it is now: this tab's finished turn while its bubble is
 * still the last answer and no turn runs. A new turn (sent here or elsewhere) or the
 * continuation after an approval hides the previous check, so the panel counts live words
 * instead of showing an old verdict.
 * @example currentTurnCheck(check, lastAnswer?.id, !busy && !turnActive)
 */
export function currentTurnCheck(
  check: TurnCheck | null,
  lastAnswerId: string | undefined,
  turnOver: boolean,
): TurnCheck | null {
  return check !== null && turnOver && check.messageId === lastAnswerId ? check : null;
}

/** The verdict of a check (`pending` without one). */
export function turnVerdict(check: TurnCheck | null): TurnVerdict {
  if (check === null || check.stored === null) return "pending";
  return check.received === check.stored ? "match" : "differ";
}
