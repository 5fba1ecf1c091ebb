import type { Meta, StoryObj } from "@storybook/react-vite";
import { toToolCallView } from "../lib/message-parts";
import { PARTS } from "../previews/fixtures";
import { ToolCallPart } from "./tool-call-part";

const meta = { title: "Parts/ToolCallPart", component: ToolCallPart } satisfies Meta<typeof ToolCallPart>;
export default meta;
type Story = StoryObj<typeof meta>;

export const InputStreaming: Story = { args: { view: toToolCallView(PARTS.toolInputStreaming) } };
export const Running: Story = { args: { view: toToolCallView(PARTS.toolRunning) } };
export const WaitingForApproval: Story = { args: { view: toToolCallView(PARTS.toolApprovalRequested) } };
export const Done: Story = { args: { view: toToolCallView(PARTS.toolDone) } };
export const Failed: Story = { args: { view: toToolCallView(PARTS.toolError) } };
export const Denied: Story = { args: { view: toToolCallView(PARTS.toolDenied) } };
