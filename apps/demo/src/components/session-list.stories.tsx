import type { Meta, StoryObj } from "@storybook/react-vite";
import { SessionList } from "./session-list";

const sessions = Array.from({ length: 4 }, (_, index) => ({
  id: `session-${index}`,
  title: `Chat ${4 - index}`,
  createdAt: new Date(Date.UTC(2026, 10, 24, 9, 50 - index * 7)).toISOString(),
}));

const meta = {
  title: "Sessions/SessionList",
  component: SessionList,
  args: { onCreate: () => {}, creating: false, activeId: null },
  decorators: [
    (Story) => (
      <nav aria-label="Chats" style={{ maxWidth: "15rem" }}>
        <Story />
      </nav>
    ),
  ],
} satisfies Meta<typeof SessionList>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Empty: Story = { args: { sessions: [] } };
export const Several: Story = { args: { sessions, activeId: "session-1" } };
export const Creating: Story = { args: { sessions, creating: true } };
