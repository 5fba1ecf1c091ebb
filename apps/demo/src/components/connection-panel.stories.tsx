import type { Meta, StoryObj } from "@storybook/react-vite";
import { CONNECTION_STATES } from "../previews/connection-states";
import { ConnectionPanel } from "./connection-panel";

const meta = {
  title: "Inspector/ConnectionPanel",
  component: ConnectionPanel,
  args: {
    openStreams: 0,
    observerOpen: false,
    observerHref: "#/session/preview-session",
    onDrop: () => {},
    onReload: () => {},
    onToggleObserver: () => {},
  },
  decorators: [
    (Story) => (
      <div style={{ maxWidth: "21rem" }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof ConnectionPanel>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { connection: CONNECTION_STATES.idle } };
export const Streaming: Story = { args: { connection: CONNECTION_STATES.streaming, openStreams: 1 } };
export const Reconnecting: Story = { args: { connection: CONNECTION_STATES.reconnecting } };
export const GaveUp: Story = { args: { connection: CONNECTION_STATES.gaveUp } };
export const ObserverOpen: Story = {
  args: { connection: CONNECTION_STATES.streaming, openStreams: 1, observerOpen: true },
};
