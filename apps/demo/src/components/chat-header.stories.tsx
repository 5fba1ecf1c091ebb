import type { Meta, StoryObj } from "@storybook/react-vite";
import { ChatHeader } from "./chat-header";

const meta = {
  title: "Chat/ChatHeader",
  component: ChatHeader,
  args: { headingId: "chat-title", title: "Chat 1" },
} satisfies Meta<typeof ChatHeader>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { status: "idle", phase: "idle" } };
export const Streaming: Story = { args: { status: "running", phase: "streaming" } };
export const Reconnecting: Story = { args: { status: "running", phase: "reconnecting" } };
export const GaveUp: Story = { args: { status: "running", phase: "gave-up" } };
export const WaitingForApproval: Story = { args: { status: "waiting_for_approval", phase: "idle" } };
export const Failed: Story = { args: { status: "failed", phase: "idle" } };
export const Stopped: Story = { args: { status: "stopped", phase: "idle" } };
