import type { Meta, StoryObj } from "@storybook/react-vite";
import { PARTS } from "../previews/fixtures";
import { MessagePart } from "./message-part";

const meta = { title: "Parts/MessagePart", component: MessagePart } satisfies Meta<typeof MessagePart>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Text: Story = { args: { part: PARTS.text } };
export const Reasoning: Story = { args: { part: PARTS.reasoning } };
export const Tool: Story = { args: { part: PARTS.toolDone } };
export const Interrupt: Story = { args: { part: PARTS.interrupt } };
