import type { ConnectionState } from "@chat-replay/client";

const LABELS: Record<ConnectionState["phase"], string> = {
  idle: "Not streaming",
  streaming: "Streaming",
  reconnecting: "Reconnecting…",
  offline: "Offline — resumes when back",
  "gave-up": "Gave up reconnecting",
};

/** Props of {@link ConnectionPhaseChip}. */
export interface ConnectionPhaseChipProps {
  readonly phase: ConnectionState["phase"];
}

/** The transport's phase as a small chip; colour and text both say it. */
export function ConnectionPhaseChip({ phase }: ConnectionPhaseChipProps) {
  return (
    <span className="phase-chip" data-phase={phase}>
      {LABELS[phase]}
    </span>
  );
}
