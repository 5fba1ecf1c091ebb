import type { ConnectionState } from "@chat-replay/client";
import { ConnectionPhaseChip } from "./connection-phase-chip";

/** Props of {@link ConnectionStats}. */
export interface ConnectionStatsProps {
  readonly connection: ConnectionState;
}

/** What the transport knows, as a definition list: cursor, reconnects, phase, bytes. */
export function ConnectionStats({ connection }: ConnectionStatsProps) {
  return (
    <dl className="connection-stats">
      <dt>Last event id</dt>
      <dd>
        <code data-testid="last-event-id">{connection.lastEventId ?? "—"}</code>
      </dd>
      <dt>Reconnects</dt>
      <dd data-testid="reconnects">{connection.reconnects}</dd>
      <dt>Phase</dt>
      <dd aria-live="polite">
        <ConnectionPhaseChip phase={connection.phase} />
      </dd>
      <dt>Bytes received</dt>
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
