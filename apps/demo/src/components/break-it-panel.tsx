import { useId, useState } from "react";
import { DIRECTIVE_CHIPS, PROMPT_PRESETS } from "../lib/prompt-presets";
import { type TurnCheck, turnVerdict } from "../lib/turn-check";
import { PromptPresets } from "./prompt-presets";

/** How long "Go offline" plays a lost network. */
export const OFFLINE_PLAY_MS = 20_000;

/** Props of {@link BreakItPanel}. */
export interface BreakItPanelProps {
  /** Sending is not possible now (a turn is active): scenarios wait. */
  readonly sendDisabled: boolean;
  /** A stream is open and delivering: there is something to drop. */
  readonly canDrop: boolean;
  readonly playingOffline: boolean;
  /** Answer words in the last assistant bubble right now. */
  readonly liveWords: number;
  /** This tab's finished turn, received vs stored (`currentTurnCheck`); `null` counts live words. */
  readonly turnCheck: TurnCheck | null;
  /** No turn runs and none is in flight here: without a check, there is nothing to wait for. */
  readonly turnOver: boolean;
  readonly onPickScenario: (prompt: string) => void;
  readonly onAddDirective: (directive: string) => void;
  readonly onDrop: () => void;
  readonly onGoOffline: () => void;
  readonly onGoOnline: () => void;
  readonly onReload: () => void;
  readonly onShare: () => void;
}

type Step = "drop" | "offline" | "reload" | "share";

/**
 * The demo's invitation to break things: scenarios and directives as chips, a checklist of
 * the ways a connection gets lost, and the proof that nothing was: the words this tab
 * received against the words the server stored for the turn.
 */
export function BreakItPanel(props: BreakItPanelProps) {
  const headingId = useId();
  const [done, setDone] = useState<ReadonlySet<Step>>(new Set());
  const mark = (step: Step, action: () => void) => () => {
    setDone((steps) => new Set([...steps, step]));
    action();
  };
  const tick = (step: Step) => (done.has(step) ? <span className="done-mark">✓ tried</span> : null);
  return (
    <section className="panel break-it" aria-labelledby={headingId}>
      <h2 id={headingId}>Break it yourself</h2>
      <PromptPresets presets={PROMPT_PRESETS} disabled={props.sendDisabled} onPick={props.onPickScenario} />
      <fieldset className="chips directive-chips">
        <legend>Directives (add to your message)</legend>
        {DIRECTIVE_CHIPS.map((chip) => (
          <button
            key={chip.directive}
            type="button"
            className="chip directive"
            title={chip.description}
            onClick={() => props.onAddDirective(chip.directive)}
          >
            {chip.directive}
          </button>
        ))}
      </fieldset>
      <ol className="break-checklist">
        <li>
          {/* aria-disabled, not disabled: the button keeps the focus while the stream resumes. */}
          <button
            type="button"
            className="button"
            onClick={props.canDrop ? mark("drop", props.onDrop) : undefined}
            aria-disabled={!props.canDrop}
            title="Fails the open SSE response with a network error; the transport resumes with Last-Event-ID"
          >
            Drop connection now
          </button>{" "}
          {tick("drop")}
        </li>
        <li>
          {props.playingOffline ? (
            <button type="button" className="button" onClick={props.onGoOnline}>
              Back online now
            </button>
          ) : (
            <button type="button" className="button" onClick={mark("offline", props.onGoOffline)}>
              Go offline for {OFFLINE_PLAY_MS / 1000} s
            </button>
          )}{" "}
          {tick("offline")}
        </li>
        <li>
          <button type="button" className="button" onClick={mark("reload", props.onReload)}>
            Reload page
          </button>{" "}
          {tick("reload")}
        </li>
        <li>
          <button type="button" className="button" onClick={mark("share", props.onShare)}>
            Open on another device
          </button>{" "}
          {tick("share")}
        </li>
        <li className="muted-text">
          Stop vs detach: <strong>Stop for everyone</strong> ends the turn in every tab;{" "}
          <strong>Detach this tab</strong> leaves it running, and Re-attach picks it up again.
        </li>
      </ol>
      <TurnCheckView liveWords={props.liveWords} check={props.turnCheck} turnOver={props.turnOver} />
    </section>
  );
}

/**
 * Words received vs stored: matching once the turn ends is the proof that nothing was lost.
 * A turn this tab did not follow to its end live (detached, given up, streamed in another
 * tab) has nothing to compare: its stored count stays a dash.
 */
function TurnCheckView(props: { liveWords: number; check: TurnCheck | null; turnOver: boolean }) {
  const { liveWords, check, turnOver } = props;
  const verdict = turnVerdict(check);
  return (
    <div className="turn-check" data-testid="turn-check" data-verdict={verdict}>
      <h3>Nothing lost?</h3>
      <dl className="stats">
        <dt>Words received</dt>
        <dd data-testid="words-received">{check?.received ?? liveWords}</dd>
        <dt>Words stored</dt>
        <dd data-testid="words-stored">
          {check ? (check.stored ?? "checking…") : turnOver ? "—" : "— (when the turn ends)"}
        </dd>
      </dl>
      <p aria-live="polite" className="turn-check-verdict">
        {verdict === "match" && "✓ Match: every stored word arrived here exactly once."}
        {verdict === "differ" && "✗ They differ: this tab did not show what the server stored."}
      </p>
    </div>
  );
}
