import { useId, useRef } from "react";
import { useStickToBottom } from "../hooks/use-stick-to-bottom";
import type { FrameRecord } from "../lib/frame-log";

/** Props of {@link EventLog}. */
export interface EventLogProps {
  readonly frames: readonly FrameRecord[];
  /** Frames received in all; more than `frames.length` once older ones scrolled out. */
  readonly total?: number;
  readonly expanded: boolean;
  readonly onToggle: () => void;
  readonly onClear: () => void;
}

/** A compact, toggleable log of the SSE frames this tab received: id, chunk type, request. */
export function EventLog({ frames, total = frames.length, expanded, onToggle, onClear }: EventLogProps) {
  const listId = useId();
  const captionId = useId();
  const scroller = useRef<HTMLElement>(null);
  // Opened, the log shows its newest frames (the end), as it does while frames arrive.
  useStickToBottom(scroller, `${frames.length}:${expanded}`);
  const count = total > frames.length ? `last ${frames.length} of ${total}` : `${frames.length}`;
  return (
    <section className="panel event-log" aria-label="Event log">
      <div className="button-row">
        <button
          type="button"
          className="button"
          aria-expanded={expanded}
          aria-controls={listId}
          onClick={onToggle}
        >
          {expanded ? "Hide" : "Show"} event log ({count})
        </button>
        {expanded && (
          <button type="button" className="button" onClick={onClear}>
            Clear
          </button>
        )}
      </div>
      {/* A focusable region: keyboard users can scroll the log (axe scrollable-region-focusable). */}
      <section
        id={listId}
        className="event-log-scroller"
        ref={scroller}
        hidden={!expanded}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable
        tabIndex={0}
        aria-labelledby={captionId}
      >
        <table>
          <caption id={captionId} className="visually-hidden">
            SSE frames received ({count})
          </caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">id</th>
              <th scope="col">type</th>
              <th scope="col">via</th>
            </tr>
          </thead>
          <tbody>
            {frames.map((frame) => (
              <tr key={frame.seq} data-type={frame.type}>
                <td>{frame.seq}</td>
                <td>
                  <code>{frame.id ?? "—"}</code>
                </td>
                <td>{frame.type}</td>
                <td>{frame.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </section>
  );
}
