import type { Meta, StoryObj } from "@storybook/react-vite";
import { CONNECTION_STATES, RECOVERY_STATES } from "../previews/connection-states";
import { ConnectionStats } from "./connection-stats";

const meta = {
  title: "Inspector/ConnectionStats",
  component: ConnectionStats,
  args: { recovery: RECOVERY_STATES.none },
} satisfies Meta<typeof ConnectionStats>;
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
