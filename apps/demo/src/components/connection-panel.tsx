import type { ConnectionState } from "@chat-replay/client";
import { useId } from "react";
import type { RecoveryState } from "../lib/recovery-tracker";
import { ConnectionStats } from "./connection-stats";

/** Props of {@link ConnectionPanel}. */
export interface ConnectionPanelProps {
  readonly connection: ConnectionState;
  readonly recovery: RecoveryState;
  readonly observerOpen: boolean;
  readonly onToggleObserver: () => void;
  /** Link that opens the same session in a new tab (another reader). */
  readonly observerHref: string;
}

/** Makes the protocol visible: the transport's position and reconnects, and second readers. */
export function ConnectionPanel(props: ConnectionPanelProps) {
  const headingId = useId();
  return (
    <section className="panel connection-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Connection</h2>
      <ConnectionStats connection={props.connection} recovery={props.recovery} />
      <div className="button-row">
        <button
          type="button"
          className="button"
          aria-pressed={props.observerOpen}
          onClick={props.onToggleObserver}
        >
          {props.observerOpen ? "Close observer" : "Open observer"}
        </button>
        <a className="button" href={props.observerHref} target="_blank" rel="noopener">
          Observer in new tab
        </a>
      </div>
    </section>
  );
}
