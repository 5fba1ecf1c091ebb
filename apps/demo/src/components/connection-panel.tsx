import type { ConnectionState } from "@chat-replay/client";
import { useId } from "react";
import { ConnectionStats } from "./connection-stats";

/** Props of {@link ConnectionPanel}. */
export interface ConnectionPanelProps {
  readonly connection: ConnectionState;
  /** SSE bodies open right now; dropping needs one that is streaming. */
  readonly openStreams: number;
  readonly onDrop: () => void;
  readonly onReload: () => void;
  readonly observerOpen: boolean;
  readonly onToggleObserver: () => void;
  /** Link that opens the same session in a new tab (another observer). */
  readonly observerHref: string;
}

/**
 * Makes the protocol visible: the transport's cursor and reconnects, and the buttons that
 * break things on purpose (drop the stream, reload) or add a second reader (observer).
 */
export function ConnectionPanel(props: ConnectionPanelProps) {
  const headingId = useId();
  return (
    <section className="panel connection-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Connection</h2>
      <ConnectionStats connection={props.connection} />
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={props.onDrop}
          disabled={props.openStreams === 0 || props.connection.phase !== "streaming"}
          title="Fails the open SSE response with a network error; the transport resumes with Last-Event-ID"
        >
          Drop connection now
        </button>
        <button type="button" className="button" onClick={props.onReload}>
          Reload page
        </button>
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
