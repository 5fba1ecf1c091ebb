import type { TurnStatus } from "@chat-replay/protocol";

const LABELS: Record<TurnStatus, string> = {
  idle: "Idle",
  running: "Running",
  waiting_for_approval: "Waiting for approval",
  stopped: "Stopped",
  failed: "Failed",
};

/** Props of {@link StatusBadge}. */
export interface StatusBadgeProps {
  /** The session's turn status; `undefined` while the first status poll is in flight. */
  readonly status: TurnStatus | undefined;
}

/** The live turn status (`useSessionStatus`), announced politely to screen readers. */
export function StatusBadge({ status }: StatusBadgeProps) {
  return (
    <span className="status-badge" data-status={status ?? "loading"} role="status">
      <span className="visually-hidden">Turn status: </span>
      {status ? LABELS[status] : "Loading…"}
    </span>
  );
}
