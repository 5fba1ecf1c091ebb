import type { Meta, StoryObj } from "@storybook/react-vite";
import { MockedChatWorkspace } from "../previews/mocked-chat-workspace";
import { SCENARIOS } from "../previews/scenarios";

/**
 * The whole workspace — chat pane, observer, connection panel, event log — with the real
 * hooks and transport against MSW handlers that emulate the replay protocol.
 */
const meta = {
  title: "Workspace/ChatWorkspace (MSW)",
  component: MockedChatWorkspace,
  parameters: { layout: "fullscreen" },
  decorators: [
    (Story) => (
      <div style={{ padding: "1rem" }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof MockedChatWorkspace>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { seed: SCENARIOS.idle } };
export const Streaming: Story = { args: { seed: SCENARIOS.streaming, initialLogOpen: true } };
export const Reconnecting: Story = { args: { seed: SCENARIOS.reconnecting } };
export const GaveUp: Story = {
  args: { seed: SCENARIOS.gaveUp, reconnect: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 100 } },
};
export const WaitingForApproval: Story = { args: { seed: SCENARIOS.waitingForApproval } };
export const Failed: Story = { args: { seed: SCENARIOS.failed } };
export const Stopped: Story = { args: { seed: SCENARIOS.stopped } };
export const LongTranscript: Story = { args: { seed: SCENARIOS.longTranscript } };
export const WithObserver: Story = { args: { seed: SCENARIOS.streaming, initialObserverOpen: true } };
/** Opened in a browser that did not create it and holds no share link: the server's 404, said honestly. */
export const NotYourSession: Story = { args: { seed: SCENARIOS.notYourSession, ownedHere: false } };
/** A share link's holder: the same live chat, read-only. */
export const ReadOnlyShare: Story = {
  args: { seed: SCENARIOS.streaming, shareToken: "preview-share-token" },
};
