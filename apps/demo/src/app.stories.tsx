import type { Meta, StoryObj } from "@storybook/react-vite";
import { useEffect, useState } from "react";
import { App } from "./app";
import { IsolatedQueryClient } from "./components/isolated-query-client";
import { sessionHash } from "./lib/hash-route";
import { SessionRegistry } from "./lib/session-registry";
import { createMockFetch } from "./previews/mock-fetch";
import { MockReplayBackend, type MockSessionSeed } from "./previews/mock-replay-backend";
import { SCENARIOS } from "./previews/scenarios";

/** Props of {@link MockedApp}. */
interface MockedAppProps {
  /** The mocked server's session; idle by default. */
  readonly seed?: MockSessionSeed;
  /** Open the seed's chat (it is in the chat list) instead of the welcome screen. */
  readonly open?: boolean;
}

/** The whole app with an in-memory session list; "New chat" creates a mocked session. */
function MockedApp({ seed = SCENARIOS.idle, open = false }: MockedAppProps) {
  const [backend] = useState(() => new MockReplayBackend(seed));
  const [fetch] = useState(() => createMockFetch(backend.handlers));
  const [registry] = useState(() => {
    const sessions = new SessionRegistry(null);
    if (open) {
      sessions.add({ id: seed.sessionId, title: seed.title ?? "Chat", createdAt: new Date().toISOString() });
      // The app routes by the URL hash (replaceState: no history entry, no event needed).
      window.history.replaceState(null, "", sessionHash(seed.sessionId));
    }
    return sessions;
  });
  useEffect(
    () => () => {
      backend.dispose();
      // The next story in this frame starts without a route.
      if (open) window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}`);
    },
    [backend, open],
  );
  return (
    <IsolatedQueryClient>
      <App registry={registry} fetch={fetch} />
    </IsolatedQueryClient>
  );
}

const meta = {
  title: "App/App (MSW)",
  component: MockedApp,
  parameters: { layout: "fullscreen" },
} satisfies Meta<typeof MockedApp>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Welcome: Story = {};
/**
 * A streaming chat on a phone (390×844): the header and composer stay on screen, the
 * transcript scrolls on its own, and the chat list and the tools are drawers.
 */
export const Phone: Story = {
  args: { seed: SCENARIOS.streaming, open: true },
  globals: { viewport: { value: "phone", isRotated: false } },
};
