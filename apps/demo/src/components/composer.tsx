import { type FormEvent, type KeyboardEvent, type RefObject, useId, useRef } from "react";

/** Props of {@link Composer}. */
export interface ComposerProps {
  /** The draft (the break-it panel's directive chips add to it). */
  readonly text: string;
  readonly onTextChange: (text: string) => void;
  /** Sending is not possible (a turn is active or a request is in flight). */
  readonly sendDisabled: boolean;
  /** A turn is running or waiting: Stop for everyone is possible. */
  readonly canStop: boolean;
  /** This tab follows the active turn: it can detach. */
  readonly canDetach: boolean;
  /** This tab detached from the active turn: the detach button re-attaches. */
  readonly detached: boolean;
  readonly onSend: (text: string) => void;
  readonly onStop: () => void;
  readonly onDetach: () => void;
  readonly onReattach: () => void;
  /** The message box, for focus after actions. */
  readonly inputRef?: RefObject<HTMLTextAreaElement | null>;
}

/**
 * The prompt box: Enter sends, Shift+Enter adds a line. "Stop for everyone" cancels the
 * turn on the server; "Detach this tab" only stops following it here. Send and Re-attach
 * disable themselves, so they hand the focus to the message box (never to <body>).
 */
export function Composer(props: ComposerProps) {
  const { text, sendDisabled } = props;
  const inputId = useId();
  const hintId = useId();
  const ownInput = useRef<HTMLTextAreaElement>(null);
  const input = props.inputRef ?? ownInput;
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (sendDisabled || text.trim() === "") return;
    props.onSend(text);
    props.onTextChange("");
    input.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={inputId} className="visually-hidden">
        Message
      </label>
      <textarea
        id={inputId}
        ref={input}
        name="prompt"
        rows={2}
        value={text}
        aria-describedby={hintId}
        placeholder="Ask something, e.g. Explain resumable streams [[words=200]]"
        onChange={(event) => props.onTextChange(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <p id={hintId} className="hint">
        Enter sends, Shift+Enter adds a line. Directives like [[words=200]] steer the demo model.
      </p>
      <div className="composer-actions">
        <button type="submit" className="button primary" disabled={sendDisabled || text.trim() === ""}>
          Send
        </button>
        <button type="button" className="button danger" disabled={!props.canStop} onClick={props.onStop}>
          Stop for everyone
        </button>
        <button
          type="button"
          className="button"
          disabled={!props.detached && !props.canDetach}
          onClick={
            props.detached
              ? () => {
                  // Re-attached, the button waits (disabled) until the stream is back.
                  input.current?.focus();
                  props.onReattach();
                }
              : props.onDetach
          }
        >
          {props.detached ? "Re-attach this tab" : "Detach this tab"}
        </button>
      </div>
    </form>
  );
}
