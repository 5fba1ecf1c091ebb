import type { ConnectionState } from "@chat-replay/client";
import type { TurnStatus } from "@chat-replay/protocol";
import { ConnectionPhaseChip } from "./connection-phase-chip";
import { StatusBadge } from "./status-badge";

/** Props of {@link ChatHeader}. */
export interface ChatHeaderProps {
  readonly headingId: string;
  readonly title: string;
  readonly status: TurnStatus | undefined;
  readonly phase: ConnectionState["phase"];
}

/** A chat pane's title with the live turn status and the connection phase. */
export function ChatHeader({ headingId, title, status, phase }: ChatHeaderProps) {
  return (
    <header className="chat-header">
      <h2 id={headingId}>{title}</h2>
      <div className="chat-header-badges">
        <StatusBadge status={status} />
        <ConnectionPhaseChip phase={phase} />
      </div>
    </header>
  );
}
