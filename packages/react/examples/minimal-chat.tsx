import { useVercelChat } from "@chat-replay/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";

const queryClient = new QueryClient();

/** A chat that survives drops, reloads and second tabs. */
export function App({ sessionId }: { sessionId: string }) {
  return (
    <QueryClientProvider client={queryClient}>
      <Chat sessionId={sessionId} />
    </QueryClientProvider>
  );
}

function Chat({ sessionId }: { sessionId: string }) {
  const { messages, sendMessage, sessionStatus, connection, cancel } = useVercelChat({ sessionId });
  const [input, setInput] = useState("");
  return (
    <div>
      <p>
        {sessionStatus.data?.turnStatus ?? "loading"} · last event {connection.lastEventId ?? "none"} ·{" "}
        {connection.reconnects} reconnects
      </p>
      {messages.map((message) => (
        <p key={message.id}>
          <b>{message.role}:</b>{" "}
          {message.parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("")}
        </p>
      ))}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void sendMessage({ text: input });
          setInput("");
        }}
      >
        <input value={input} onChange={(event) => setInput(event.target.value)} aria-label="Message" />
        <button type="submit">Send</button>
        <button type="button" onClick={() => void cancel()}>
          Stop
        </button>
      </form>
    </div>
  );
}
