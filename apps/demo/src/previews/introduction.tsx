/** One state of the demo, as the introduction lists it. */
interface StateEntry {
  readonly name: string;
  /** The story that shows it (Storybook id). */
  readonly story: string;
  readonly what: string;
}

const STATES: readonly StateEntry[] = [
  {
    name: "Idle",
    story: "workspace-chatworkspace-msw--idle",
    what: "No turn runs. Scenario chips start one.",
  },
  {
    name: "Streaming",
    story: "workspace-chatworkspace-msw--streaming",
    what: "The answer grows in its bubble; the header says Running and Streaming.",
  },
  {
    name: "Offline — resuming",
    story: "workspace-chatworkspace-msw--reconnecting",
    what: "The connection dropped. Inside the bubble: the attempt and the last position (words received, the cursor). It resumes from exactly there, nothing lost or repeated.",
  },
  {
    name: "Gave up, with Retry",
    story: "workspace-chatworkspace-msw--gave-up",
    what: "Only with a finite retry budget (the demo never gives up by default). The bubble says how far it got and offers Retry, which resumes from the held cursor.",
  },
  {
    name: "Detached",
    story: "chat-recoverynotice--detached",
    what: "Detach this tab stops following here; the turn goes on for everyone else. Re-attach picks it up again. Stop for everyone instead ends the turn in every tab.",
  },
  {
    name: "Waiting for approval",
    story: "workspace-chatworkspace-msw--waiting-for-approval",
    what: "A tool call waits for Approve or Deny; the answer continues in the same bubble.",
  },
  {
    name: "Failed",
    story: "workspace-chatworkspace-msw--failed",
    what: "The turn's error ends its bubble, once, with the Failed status (no second copy as an alert).",
  },
  {
    name: "Stopped",
    story: "workspace-chatworkspace-msw--stopped",
    what: "Stopped for everyone: the partial answer stays, with the interrupt under it.",
  },
  {
    name: "Not your session",
    story: "workspace-chatworkspace-msw--not-your-session",
    what: "A chat link opened in another browser: the server answers 404 for someone else's chat, and the demo says whose it is and how to get a read-only link.",
  },
  {
    name: "Read-only share",
    story: "workspace-chatworkspace-msw--read-only-share",
    what: "Opened through Open on another device: the same live chat, read-only.",
  },
  {
    name: "Phone",
    story: "app-app-msw--phone",
    what: "The whole app at 390×844: header and composer stay on screen, the transcript scrolls on its own (Jump to latest when scrolled up), the chat list and the tools are drawers.",
  },
  {
    name: "Event log",
    story: "inspector-eventlog--expanded",
    what: "Every SSE frame this tab received: id, chunk type, request; it says when older frames scrolled out.",
  },
];

/**
 * The previews' start page: what the demo proves and which state each story shows. Links
 * open the stories in the Storybook manager (the page around this frame).
 */
export function Introduction() {
  return (
    <article className="panel introduction" style={{ maxWidth: "52rem" }}>
      <h1>chat-replay demo: the states</h1>
      <p>
        The demo keeps a chat attached to a long-running answer through drops, outages, reloads, second tabs
        and other devices, with no lost, duplicated or phantom text. Each preview below renders the real
        components and hooks against a mocked replay server, so every state is live.
      </p>
      <dl className="introduction-states">
        {STATES.map((state) => (
          <div key={state.story}>
            <dt>
              <a href={`./?path=/story/${state.story}`} target="_top">
                {state.name}
              </a>
            </dt>
            <dd>{state.what}</dd>
          </div>
        ))}
      </dl>
      <h2>Where to look</h2>
      <p>
        The connection's state is in the bubble it concerns; the header shows the turn status and the
        connection phase. The side panel (a drawer on phones) has the break-it checklist, the words received
        against the words stored for the last turn, the connection's position and reconnects (successful
        re-attaches; attempts in brackets), the share link, and the event log.
      </p>
    </article>
  );
}
