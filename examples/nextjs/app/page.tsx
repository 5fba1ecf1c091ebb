"use client";

import { ReplayClient, useVercelChat } from "@chat-replay/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";

/** Where the route handler serves chat-replay (its `basePath`). */
const baseUrl = "/api/chat";
const queryClient = new QueryClient();

// Next.js requires the page as the default export.
export default function Page() {
  const sessionId = useSessionId();
  return (
    <QueryClientProvider client={queryClient}>
      {sessionId ? <Chat sessionId={sessionId} /> : <p>Creating a session…</p>}
    </QueryClientProvider>
  );
}

/** The session in the URL (`?session=`): a reload or a second tab attaches to it. A new one otherwise. */
function useSessionId(): string | null {
  const [sessionId, setSessionId] = useState<string | null>(null);
  useEffect(() => {
    const url = new URL(window.location.href);
    const existing = url.searchParams.get("session");
    if (existing) {
      setSessionId(existing);
      return;
    }
    let unmounted = false;
    void new ReplayClient({ baseUrl }).createSession({ title: "Next.js recipe" }).then(({ id }) => {
      if (unmounted) return;
      url.searchParams.set("session", id);
      window.history.replaceState(null, "", url);
      setSessionId(id);
    });
    return () => {
      unmounted = true;
    };
  }, []);
  return sessionId;
}

function Chat({ sessionId }: { sessionId: string }) {
  const { messages, sendMessage, sessionStatus, connection } = useVercelChat({ sessionId, baseUrl });
  const [input, setInput] = useState("");
  const turnStatus = sessionStatus.data?.turnStatus ?? "loading";
  return (
    <main>
      <p data-testid="connection" data-turn-status={turnStatus} data-phase={connection.phase}>
        {turnStatus} · {connection.phase} · last event {connection.lastEventId ?? "none"} ·{" "}
        {connection.reconnects} reconnects
      </p>
      <ul>
        {messages.map((message) => (
          <li key={message.id} data-role={message.role}>
            <b>{message.role}:</b>{" "}
            <span>{message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("")}</span>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void sendMessage({ text: input });
          setInput("");
        }}
      >
        <input value={input} onChange={(event) => setInput(event.target.value)} aria-label="Message" />
        <button type="submit">Send</button>
      </form>
    </main>
  );
}
