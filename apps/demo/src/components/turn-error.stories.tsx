import { StreamDisconnectedError } from "@chat-replay/client";
import type { Meta, StoryObj } from "@storybook/react-vite";
import { TurnError } from "./turn-error";

const meta = { title: "Chat/TurnError", component: TurnError } satisfies Meta<typeof TurnError>;
export default meta;
type Story = StoryObj<typeof meta>;

export const None: Story = { args: { error: null } };
export const Failed: Story = { args: { error: new Error("Scripted failure after 40 chunks") } };
export const GaveUp: Story = { args: { error: new StreamDisconnectedError(8) } };
