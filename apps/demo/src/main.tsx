import { ReplayHttpError } from "@chat-replay/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import { SessionRegistry } from "./lib/session-registry";
import "./styles.css";

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    // Storage can throw when disabled; the session list then lives for this page only.
    return null;
  }
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 404 means the session is gone (in-memory server restarted): say so at once.
      retry: (failures, error) => !(error instanceof ReplayHttpError && error.status === 404) && failures < 2,
    },
  },
});

/**
 * `?retries=N` gives the transport a finite retry budget, so a long enough outage reaches
 * the "gave up" state with its Retry action (the default never gives up on a running turn).
 */
function reconnectFromQuery(): { maxAttempts: number } | undefined {
  const retries = Number(new URLSearchParams(window.location.search).get("retries") ?? Number.NaN);
  return Number.isInteger(retries) && retries > 0 ? { maxAttempts: retries } : undefined;
}

const registry = new SessionRegistry(browserStorage());
// A chat created in another tab shows up in this tab's list at once.
registry.syncAcrossTabs(window);

const reconnect = reconnectFromQuery();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App registry={registry} {...(reconnect ? { reconnect } : {})} />
    </QueryClientProvider>
  </StrictMode>,
);
