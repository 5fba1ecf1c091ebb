import { useId } from "react";
import { formatJson, type PendingApproval } from "../lib/message-parts";

/** Props of {@link ApprovalCard}. */
export interface ApprovalCardProps {
  readonly approval: PendingApproval;
  /** A decision is being sent; both buttons wait. */
  readonly pending: boolean;
  readonly onRespond: (approvalId: string, approved: boolean) => void;
}

/** Asks the human to approve or deny a tool call; the answer continues the paused turn. */
export function ApprovalCard({ approval, pending, onRespond }: ApprovalCardProps) {
  const headingId = useId();
  return (
    <section className="approval-card" aria-labelledby={headingId} data-approval-id={approval.approvalId}>
      <h3 id={headingId}>
        Approve <code>{approval.toolName}</code>?
      </h3>
      <p>The assistant wants to run this tool with:</p>
      <pre>{formatJson(approval.input)}</pre>
      <div className="button-row">
        <button
          type="button"
          className="button primary"
          disabled={pending}
          onClick={() => onRespond(approval.approvalId, true)}
        >
          Approve
        </button>
        <button
          type="button"
          className="button danger"
          disabled={pending}
          onClick={() => onRespond(approval.approvalId, false)}
        >
          Deny
        </button>
      </div>
    </section>
  );
}
