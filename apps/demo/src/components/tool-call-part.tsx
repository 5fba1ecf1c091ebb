import { formatJson, type ToolCallView } from "../lib/message-parts";

const STATE_LABELS: Record<ToolCallView["state"], string> = {
  "input-streaming": "preparing input…",
  "input-available": "running…",
  "approval-requested": "waiting for approval",
  "approval-responded": "decision sent",
  "output-available": "done",
  "output-error": "failed",
  "output-denied": "denied",
};

/** Props of {@link ToolCallPart}. */
export interface ToolCallPartProps {
  readonly view: ToolCallView;
}

/** A tool call with its input and, once there is one, its output, error or denial. */
export function ToolCallPart({ view }: ToolCallPartProps) {
  return (
    <div className="tool-call" data-state={view.state} data-tool={view.toolName}>
      <p className="tool-call-title">
        Tool <code>{view.toolName}</code> <span className="tool-call-state">{STATE_LABELS[view.state]}</span>
      </p>
      <details className="tool-call-io" open>
        <summary>Input</summary>
        <pre>{formatJson(view.input)}</pre>
      </details>
      {view.state === "output-available" && (
        <details className="tool-call-io" open>
          <summary>Output</summary>
          <pre>{formatJson(view.output)}</pre>
        </details>
      )}
      {view.state === "output-error" && <p className="tool-call-error">Error: {view.errorText}</p>}
      {view.state === "output-denied" && (
        <p className="tool-call-denied">Denied by the user; the tool did not run.</p>
      )}
    </div>
  );
}
