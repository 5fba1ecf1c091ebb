import type { Meta, StoryObj } from "@storybook/react-vite";
import { assistantMessage, PARTS, userMessage } from "../previews/fixtures";
import { MessageBubble } from "./message-bubble";

const meta = {
  title: "Chat/MessageBubble",
  component: MessageBubble,
  args: { streaming: false },
  decorators: [
    (Story) => (
      <ol className="message-list">
        <Story />
      </ol>
    ),
  ],
} satisfies Meta<typeof MessageBubble>;
export default meta;
type Story = StoryObj<typeof meta>;

export const User: Story = { args: { message: userMessage("u", "Explain resumable streams [[words=120]]") } };
export const Streaming: Story = {
  args: { message: assistantMessage("a", [PARTS.streamingReasoning]), streaming: true },
};
export const StreamingText: Story = {
  args: { message: assistantMessage("a", [PARTS.reasoning, PARTS.streamingText]), streaming: true },
};
export const WithTools: Story = {
  args: { message: assistantMessage("a", [PARTS.reasoning, PARTS.toolDone, PARTS.toolError, PARTS.text]) },
};
export const WaitingForApproval: Story = {
  args: { message: assistantMessage("a", [PARTS.toolApprovalRequested]) },
};
export const Denied: Story = { args: { message: assistantMessage("a", [PARTS.toolDenied, PARTS.text]) } };
export const Failed: Story = { args: { message: assistantMessage("a", [PARTS.text, PARTS.failureText]) } };
export const Stopped: Story = { args: { message: assistantMessage("a", [PARTS.text, PARTS.interrupt]) } };
