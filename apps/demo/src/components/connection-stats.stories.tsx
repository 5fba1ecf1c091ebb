import type { Meta, StoryObj } from "@storybook/react-vite";
import { CONNECTION_STATES } from "../previews/connection-states";
import { ConnectionStats } from "./connection-stats";

const meta = { title: "Inspector/ConnectionStats", component: ConnectionStats } satisfies Meta<
  typeof ConnectionStats
>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { connection: CONNECTION_STATES.idle } };
export const Streaming: Story = { args: { connection: CONNECTION_STATES.streaming } };
export const Reconnecting: Story = { args: { connection: CONNECTION_STATES.reconnecting } };
export const GaveUp: Story = { args: { connection: CONNECTION_STATES.gaveUp } };
