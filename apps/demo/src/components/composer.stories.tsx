import type { Meta, StoryObj } from "@storybook/react-vite";
import { Composer } from "./composer";

const meta = {
  title: "Chat/Composer",
  component: Composer,
  args: { onSend: () => {}, onStop: () => {} },
} satisfies Meta<typeof Composer>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { sendDisabled: false, canStop: false } };
export const TurnActive: Story = { args: { sendDisabled: true, canStop: true } };
