import type { Meta, StoryObj } from "@storybook/react-vite";
import { ConnectionPhaseChip } from "./connection-phase-chip";

const meta = { title: "Status/ConnectionPhaseChip", component: ConnectionPhaseChip } satisfies Meta<
  typeof ConnectionPhaseChip
>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { phase: "idle" } };
export const Streaming: Story = { args: { phase: "streaming" } };
export const Reconnecting: Story = { args: { phase: "reconnecting" } };
export const Offline: Story = { args: { phase: "offline" } };
export const GaveUp: Story = { args: { phase: "gave-up" } };
