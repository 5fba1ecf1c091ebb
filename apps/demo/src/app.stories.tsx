import type { Meta, StoryObj } from "@storybook/react-vite";
import { useEffect, useState } from "react";
import { App } from "./app";
import { IsolatedQueryClient } from "./components/isolated-query-client";
import { SessionRegistry } from "./lib/session-registry";
import { createMockFetch } from "./previews/mock-fetch";
import { MockReplayBackend } from "./previews/mock-replay-backend";
import { SCENARIOS } from "./previews/scenarios";

/** The whole app with an in-memory session list; "New chat" creates a mocked session. */
function MockedApp() {
  const [backend] = useState(() => new MockReplayBackend(SCENARIOS.idle));
  const [fetch] = useState(() => createMockFetch(backend.handlers));
  const [registry] = useState(() => new SessionRegistry(null));
  useEffect(() => () => backend.dispose(), [backend]);
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
