import type { ConnectionState } from "@chat-replay/client";
import type { TurnStatus } from "@chat-replay/protocol";
import type { ReactNode } from "react";
import { ConnectionPhaseChip } from "./connection-phase-chip";
import { StatusBadge } from "./status-badge";

/** Props of {@link ChatHeader}. */
export interface ChatHeaderProps {
  readonly headingId: string;
  readonly title: string;
  readonly status: TurnStatus | undefined;
  readonly phase: ConnectionState["phase"];
  /** Controls at the end of the header (e.g. the tools drawer toggle). */
  readonly actions?: ReactNode;
}

/** A chat pane's title with the live turn status and the connection phase; stays in view. */
export function ChatHeader({ headingId, title, status, phase, actions }: ChatHeaderProps) {
  return (
    <header className="chat-header">
      <h2 id={headingId}>{title}</h2>
      <div className="chat-header-badges">
        <StatusBadge status={status} />
        <ConnectionPhaseChip phase={phase} />
        {actions}
      </div>
    </header>
  );
}
