import { type FormEvent, type KeyboardEvent, useId, useState } from "react";

/** Props of {@link Composer}. */
export interface ComposerProps {
  /** Sending is not possible (a turn is active or a request is in flight). */
  readonly sendDisabled: boolean;
  /** A turn is running or waiting: show Stop. */
  readonly canStop: boolean;
  readonly onSend: (text: string) => void;
  readonly onStop: () => void;
}

/** The prompt box: Enter sends, Shift+Enter adds a line; Stop cancels the turn on the server. */
export function Composer({ sendDisabled, canStop, onSend, onStop }: ComposerProps) {
  const [text, setText] = useState("");
  const inputId = useId();
  const hintId = useId();
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (sendDisabled || text.trim() === "") return;
    onSend(text);
    setText("");
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={inputId}>Message</label>
      <textarea
        id={inputId}
        name="prompt"
        rows={2}
        value={text}
        aria-describedby={hintId}
        placeholder="Ask something, e.g. Explain resumable streams [[words=200]]"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id={hintId} className="hint">
        Enter sends, Shift+Enter adds a line. Directives such as [[reasoning=20]] or [[tool=search]] steer the
        demo model.
      </p>
      <div className="button-row">
        <button type="submit" className="button primary" disabled={sendDisabled || text.trim() === ""}>
          Send
        </button>
        <button type="button" className="button danger" disabled={!canStop} onClick={onStop}>
          Stop
        </button>
      </div>
    </form>
  );
}
