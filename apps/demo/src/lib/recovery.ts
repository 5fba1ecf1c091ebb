import type { ConnectionState } from "@chat-replay/client";

/** What the bubble says about its connection; `null` renders nothing. */
export type Recovery =
  | { readonly kind: "resuming"; readonly phase: "reconnecting" | "offline"; readonly attempts: number }
  | { readonly kind: "gave-up"; readonly attempts: number }
  | { readonly kind: "detached" };

/** The notice a chat shows for its connection, or `null` when nothing needs saying. */
export function recoveryOf(input: {
  readonly phase: ConnectionState["phase"];
  readonly attempts: number;
  readonly lostConnection: boolean;
  readonly detached: boolean;
  readonly turnActive: boolean;
}): Recovery | null {
  if (input.detached && input.turnActive) return { kind: "detached" };
  if (input.phase === "reconnecting" || input.phase === "offline") {
    return { kind: "resuming", phase: input.phase, attempts: input.attempts };
  }
  // The error goes once the answer is complete: history adoption clears it.
  if (input.lostConnection) return { kind: "gave-up", attempts: input.attempts };
  return null;
}

/**
 * The connection phase to show. A give-up is over once the turn ended and its error went
 * (the page adopted the stored answer): the chat is idle then, not "gave up" next to Idle.
 * @example shownPhase("gave-up", { lostConnection: false, turnActive: false }) // "idle"
 */
export function shownPhase(
  phase: ConnectionState["phase"],
  input: { readonly lostConnection: boolean; readonly turnActive: boolean },
): ConnectionState["phase"] {
  return phase === "gave-up" && !input.lostConnection && !input.turnActive ? "idle" : phase;
}
