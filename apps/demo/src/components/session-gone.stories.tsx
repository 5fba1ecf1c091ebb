import type { Meta, StoryObj } from "@storybook/react-vite";
import { SessionGone } from "./session-gone";

const meta = {
  title: "Sessions/SessionGone",
  component: SessionGone,
  args: { onForget: () => {} },
} satisfies Meta<typeof SessionGone>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Default: Story = {};
