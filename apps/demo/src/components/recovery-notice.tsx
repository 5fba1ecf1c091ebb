import type { Recovery } from "../lib/recovery";

/** Props of {@link RecoveryNotice}. */
export interface RecoveryNoticeProps {
  readonly recovery: Recovery;
  /** Answer words this tab has so far. */
  readonly words: number;
  /** The cursor in readable form (`describeEventId`), if the transport holds one. */
  readonly position: string | null;
  /** Retry after a give-up, or re-attach after a detach. */
  readonly onResume: () => void;
}

/**
 * The connection's state where the reader looks: at the end of the bubble it concerns.
 * While resuming it says what is known (attempt, last position); after a give-up or a
 * detach it offers the way back.
 */
export function RecoveryNotice({ recovery, words, position, onResume }: RecoveryNoticeProps) {
  const where = `${words} word${words === 1 ? "" : "s"} received${position ? ` (last position: ${position})` : ""}`;
  if (recovery.kind === "resuming") {
    const attempt =
      recovery.phase === "offline"
        ? "waiting for the network"
        : recovery.attempts > 0
          ? `attempt ${recovery.attempts}`
          : "reconnecting";
    return (
      <div className="recovery-notice" data-recovery="resuming" data-phase={recovery.phase} role="status">
        <p className="recovery-title">
          <span className="spinner" aria-hidden="true" /> Offline — resuming
          <span className="recovery-detail">
            {" "}
            · {attempt} · {where}
          </span>
        </p>
        <p className="recovery-hint">The answer continues from exactly here, nothing lost or repeated.</p>
      </div>
    );
  }
  if (recovery.kind === "gave-up") {
    return (
      <div className="recovery-notice" data-recovery="gave-up" role="status">
        <p className="recovery-title">
          Connection lost after {recovery.attempts} attempt{recovery.attempts === 1 ? "" : "s"} · {where}
        </p>
        <p className="recovery-hint">The turn may still be running on the server. Retry resumes from here.</p>
        <button type="button" className="button primary" onClick={onResume}>
          Retry
        </button>
      </div>
    );
  }
  return (
    <div className="recovery-notice" data-recovery="detached" role="status">
      <p className="recovery-title">Detached · {where}</p>
      <p className="recovery-hint">
        This tab stopped following; the turn goes on for everyone else. Re-attach to follow it again.
      </p>
      <button type="button" className="button primary" onClick={onResume}>
        Re-attach
      </button>
    </div>
  );
}
