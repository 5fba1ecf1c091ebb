import type { Meta, StoryObj } from "@storybook/react-vite";
import { useEffect, useState } from "react";
import { createMockFetch } from "../previews/mock-fetch";
import { MockReplayBackend, type MockSessionSeed } from "../previews/mock-replay-backend";
import { SCENARIOS } from "../previews/scenarios";
import { IsolatedQueryClient } from "./isolated-query-client";
import { ObserverPane } from "./observer-pane";

/** An observer attached to a mocked session, as a second tab would be. */
function MockedObserver({ seed }: { readonly seed: MockSessionSeed }) {
  const [backend] = useState(() => new MockReplayBackend(seed));
  const [fetch] = useState(() => createMockFetch(backend.handlers));
  useEffect(() => () => backend.dispose(), [backend]);
  return (
    <IsolatedQueryClient>
      <ObserverPane sessionId={seed.sessionId} fetch={fetch} onClose={() => {}} />
    </IsolatedQueryClient>
  );
}

const meta = {
  title: "Workspace/ObserverPane (MSW)",
  component: MockedObserver,
  decorators: [
    (Story) => (
      <div style={{ maxWidth: "36rem" }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof MockedObserver>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { seed: SCENARIOS.idle } };
export const Streaming: Story = { args: { seed: SCENARIOS.streaming } };
export const WaitingForApproval: Story = { args: { seed: SCENARIOS.waitingForApproval } };
export const Stopped: Story = { args: { seed: SCENARIOS.stopped } };
