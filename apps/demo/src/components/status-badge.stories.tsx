import type { Meta, StoryObj } from "@storybook/react-vite";
import { StatusBadge } from "./status-badge";

const meta = { title: "Status/StatusBadge", component: StatusBadge } satisfies Meta<typeof StatusBadge>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Loading: Story = { args: { status: undefined } };
export const Idle: Story = { args: { status: "idle" } };
export const Running: Story = { args: { status: "running" } };
export const WaitingForApproval: Story = { args: { status: "waiting_for_approval" } };
export const Stopped: Story = { args: { status: "stopped" } };
export const Failed: Story = { args: { status: "failed" } };
