import type { Meta, StoryObj } from "@storybook/react-vite";
import { ApprovalCard } from "./approval-card";

const meta = {
  title: "Chat/ApprovalCard",
  component: ApprovalCard,
  args: {
    approval: {
      approvalId: "call-3",
      toolCallId: "call-3",
      toolName: "deploy",
      input: { query: "Deploy the demo app" },
    },
    onRespond: () => {},
  },
} satisfies Meta<typeof ApprovalCard>;
export default meta;
type Story = StoryObj<typeof meta>;

export const WaitingForApproval: Story = { args: { pending: false } };
export const SendingDecision: Story = { args: { pending: true } };
