import type { Meta, StoryObj } from "@storybook/react-vite";
import { assistantMessage, longTranscript, PARTS, userMessage } from "../previews/fixtures";
import { MessageList } from "./message-list";

const meta = {
  title: "Chat/MessageList",
  component: MessageList,
  args: { label: "Conversation", streamingMessageId: null },
} satisfies Meta<typeof MessageList>;
export default meta;
type Story = StoryObj<typeof meta>;

const prompt = userMessage("u", "Explain resumable streams");

export const Empty: Story = { args: { messages: [] } };
export const Streaming: Story = {
  args: {
    messages: [prompt, assistantMessage("a", [PARTS.reasoning, PARTS.streamingText])],
    streamingMessageId: "a",
  },
};
export const WaitingForApproval: Story = {
  args: { messages: [prompt, assistantMessage("a", [PARTS.toolApprovalRequested])] },
};
export const Failed: Story = {
  args: { messages: [prompt, assistantMessage("a", [PARTS.text, PARTS.failureText])] },
};
export const Stopped: Story = {
  args: { messages: [prompt, assistantMessage("a", [PARTS.text, PARTS.interrupt])] },
};
export const LongTranscript: Story = { args: { messages: longTranscript() } };
