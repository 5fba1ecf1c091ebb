import { useEffect, useRef } from "react";

/** Props of {@link Welcome}. */
export interface WelcomeProps {
  readonly creating: boolean;
  readonly onCreate: () => void;
  /** Focus the start button on mount (the user just left a chat that is gone). */
  readonly autoFocus?: boolean;
}

/** The first screen: what the demo shows and how to start. */
export function Welcome({ creating, onCreate, autoFocus = false }: WelcomeProps) {
  const start = useRef<HTMLButtonElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only on mount
  useEffect(() => {
    if (autoFocus) start.current?.focus();
  }, []);
  return (
    <section className="welcome" aria-labelledby="welcome-heading">
      <h2 id="welcome-heading">A chat that survives what breaks other chats</h2>
      <p>
        Start a chat, pick a scenario, then drop the connection, reload the page or open an observer while the
        answer streams. The answer continues exactly where it stopped: no lost tail, no duplicated text, no
        empty bubble.
      </p>
      <button ref={start} type="button" className="button primary" onClick={onCreate} disabled={creating}>
        {creating ? "Creating…" : "Start a new chat"}
      </button>
    </section>
  );
}
