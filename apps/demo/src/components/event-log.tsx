import { useId, useRef } from "react";
import { useStickToBottom } from "../hooks/use-stick-to-bottom";
import type { FrameRecord } from "../lib/frame-log";

/** Props of {@link EventLog}. */
export interface EventLogProps {
  readonly frames: readonly FrameRecord[];
  readonly expanded: boolean;
  readonly onToggle: () => void;
  readonly onClear: () => void;
}

/** A compact, toggleable log of the SSE frames this tab received: id and chunk type. */
export function EventLog({ frames, expanded, onToggle, onClear }: EventLogProps) {
  const listId = useId();
  const scroller = useRef<HTMLDivElement>(null);
  useStickToBottom(scroller, frames.length);
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
          {expanded ? "Hide" : "Show"} event log ({frames.length})
        </button>
        {expanded && (
          <button type="button" className="button" onClick={onClear}>
            Clear
          </button>
        )}
      </div>
      <div id={listId} className="event-log-scroller" ref={scroller} hidden={!expanded}>
        <table>
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
      </div>
    </section>
  );
}
