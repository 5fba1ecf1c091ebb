// The README's React example as a user writes it: a session from ReplayClient.createSession(),
// the chat from useVercelChat. The API is same-origin (`baseUrl` left out).
import { ReplayClient, useVercelChat } from "@chat-replay/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";

const queryClient = new QueryClient();

function App() {
  const sessionId = useSessionId();
  return (
    <QueryClientProvider client={queryClient}>
      {sessionId ? <Chat sessionId={sessionId} /> : <p>Creating a session…</p>}
    </QueryClientProvider>
  );
}

/** The session in the URL (`?session=`), or a new one. */
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
    void new ReplayClient().createSession({ title: "consumer app" }).then(({ id }) => {
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
  const { messages, sendMessage, sessionStatus, connection } = useVercelChat({ sessionId });
  const [input, setInput] = useState("");
  const turnStatus = sessionStatus.data?.turnStatus ?? "loading";
  return (
    <main>
      <p data-testid="connection" data-turn-status={turnStatus} data-phase={connection.phase}>
        {turnStatus} · {connection.phase}
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

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
