import type { Meta, StoryObj } from "@storybook/react-vite";
import { PARTS } from "../previews/fixtures";
import { ReasoningPart } from "./reasoning-part";

const meta = { title: "Parts/ReasoningPart", component: ReasoningPart } satisfies Meta<typeof ReasoningPart>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Streaming: Story = { args: { text: PARTS.streamingReasoning.text, streaming: true } };
export const Done: Story = { args: { text: PARTS.reasoning.text, streaming: false } };
