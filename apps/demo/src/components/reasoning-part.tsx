/** Props of {@link ReasoningPart}. */
export interface ReasoningPartProps {
  readonly text: string;
  /** Open while the model is still thinking; collapses when the part is done. */
  readonly streaming: boolean;
}

/** The model's reasoning, collapsible (a native `<details>`: keyboard and screen-reader ready). */
export function ReasoningPart({ text, streaming }: ReasoningPartProps) {
  const words = text.trim() === "" ? 0 : text.trim().split(/\s+/).length;
  return (
    <details className="reasoning-part" open={streaming}>
      <summary>
        Reasoning{" "}
        <span className="muted">
          {streaming ? "(thinking…)" : `(${words} word${words === 1 ? "" : "s"})`}
        </span>
      </summary>
      <p className="reasoning-text">{text}</p>
    </details>
  );
}
