import type { SessionStatus, TurnStatus } from "@chat-replay/protocol";

/** The status payload in React's casing (snake_case stays on the wire, §conventions 11). */
export interface SessionStatusView {
  readonly turnStatus: TurnStatus;
  readonly currRunId: string | null;
  readonly prompt: string | null;
  readonly promptMessageId: string | null;
  readonly version: number;
}

/** Converts the wire payload once, at the edge. */
export function toStatusView(status: SessionStatus): SessionStatusView {
  return {
    turnStatus: status.turn_status,
    currRunId: status.curr_run_id,
    prompt: status.prompt,
    promptMessageId: status.prompt_message_id,
    version: status.version,
  };
}

/** Whether a turn is running or waiting (polled fast, attachable). */
export function isActiveStatus(status: SessionStatusView | undefined): boolean {
  return status?.turnStatus === "running" || status?.turnStatus === "waiting_for_approval";
}
