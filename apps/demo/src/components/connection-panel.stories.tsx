import type { Meta, StoryObj } from "@storybook/react-vite";
import { CONNECTION_STATES, RECOVERY_STATES } from "../previews/connection-states";
import { ConnectionPanel } from "./connection-panel";

const meta = {
  title: "Inspector/ConnectionPanel",
  component: ConnectionPanel,
  args: {
    recovery: RECOVERY_STATES.none,
    observerOpen: false,
    observerHref: "#/session/preview-session",
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
export const Streaming: Story = { args: { connection: CONNECTION_STATES.streaming } };
export const Reconnecting: Story = {
  args: { connection: CONNECTION_STATES.reconnecting, recovery: RECOVERY_STATES.resuming },
};
export const GaveUp: Story = {
  args: { connection: CONNECTION_STATES.gaveUp, recovery: RECOVERY_STATES.gaveUp },
};
export const ObserverOpen: Story = { args: { connection: CONNECTION_STATES.streaming, observerOpen: true } };
