import type { Meta, StoryObj } from "@storybook/react-vite";
import { PROMPT_PRESETS } from "../lib/prompt-presets";
import { PromptPresets } from "./prompt-presets";

const meta = {
  title: "Chat/PromptPresets",
  component: PromptPresets,
  args: { presets: PROMPT_PRESETS, onPick: () => {} },
} satisfies Meta<typeof PromptPresets>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { disabled: false } };
export const TurnActive: Story = { args: { disabled: true } };
