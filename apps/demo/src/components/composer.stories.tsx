import type { Meta, StoryObj } from "@storybook/react-vite";
import { Composer } from "./composer";

const meta = {
  title: "Chat/Composer",
  component: Composer,
  args: {
    text: "",
    onTextChange: () => {},
    canDetach: false,
    detached: false,
    onSend: () => {},
    onStop: () => {},
    onDetach: () => {},
    onReattach: () => {},
  },
} satisfies Meta<typeof Composer>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = {
  args: { sendDisabled: false, canStop: false, text: "Explain resumable streams" },
};
export const TurnActive: Story = { args: { sendDisabled: true, canStop: true, canDetach: true } };
export const Detached: Story = { args: { sendDisabled: true, canStop: true, detached: true } };
