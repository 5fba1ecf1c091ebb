/** Props of {@link InterruptNotice}. */
export interface InterruptNoticeProps {
  readonly reason: string;
}

/** The `data-interrupt` part a cancelled turn ends with: the partial answer above it stays. */
export function InterruptNotice({ reason }: InterruptNoticeProps) {
  return <p className="interrupt-notice">Stopped ({reason.replaceAll("_", " ")})</p>;
}
