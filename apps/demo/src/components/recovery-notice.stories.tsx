import type { Meta, StoryObj } from "@storybook/react-vite";
import { RecoveryNotice } from "./recovery-notice";

const meta = {
  title: "Chat/RecoveryNotice",
  component: RecoveryNotice,
  args: { words: 152, position: "entry 10:39:58.526 #0, frame 2", onResume: () => {} },
  decorators: [
    (Story) => (
      <ol className="message-list">
        <li className="bubble" data-role="assistant">
          <p className="bubble-author">Assistant</p>
          <p className="text-part">The answer so far…</p>
          <Story />
        </li>
      </ol>
    ),
  ],
} satisfies Meta<typeof RecoveryNotice>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Reconnecting: Story = {
  args: { recovery: { kind: "resuming", phase: "reconnecting", attempts: 3 } },
};
export const Offline: Story = { args: { recovery: { kind: "resuming", phase: "offline", attempts: 0 } } };
export const GaveUpWithRetry: Story = { args: { recovery: { kind: "gave-up", attempts: 8 } } };
export const Detached: Story = { args: { recovery: { kind: "detached" } } };
