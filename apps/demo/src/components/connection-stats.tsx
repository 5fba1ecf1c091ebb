import type { ConnectionState } from "@chat-replay/client";
import { describeEventId } from "../lib/event-position";
import type { RecoveryState } from "../lib/recovery-tracker";
import { ConnectionPhaseChip } from "./connection-phase-chip";

/** Props of {@link ConnectionStats}. */
export interface ConnectionStatsProps {
  readonly connection: ConnectionState;
  readonly recovery: RecoveryState;
}

/** What the transport knows, as a definition list: position, reconnects, phase, bytes. */
export function ConnectionStats({ connection, recovery }: ConnectionStatsProps) {
  return (
    <dl className="stats connection-stats">
      <dt>Phase</dt>
      <dd aria-live="polite">
        <ConnectionPhaseChip phase={connection.phase} />
      </dd>
      <dt>Reconnects</dt>
      <dd>
        <span data-testid="reconnects">{recovery.reconnects}</span>{" "}
        <span className="muted">
          (<span data-testid="reconnect-attempts">{connection.reconnects}</span> attempts)
        </span>
      </dd>
      <dt>Position</dt>
      <dd>
        {describeEventId(connection.lastEventId) ?? "—"}
        <br />
        <code
          className="raw-cursor"
          data-testid="last-event-id"
          title="Last-Event-ID the transport would send"
        >
          {connection.lastEventId ?? "—"}
        </code>
      </dd>
      <dt>Received</dt>
      <dd data-testid="bytes-received">{formatBytes(connection.bytesReceived)}</dd>
      <dt>Stale cursors</dt>
      <dd>{connection.staleCursors}</dd>
    </dl>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
