import type { Meta, StoryObj } from "@storybook/react-vite";
import { InterruptNotice } from "./interrupt-notice";

const meta = { title: "Parts/InterruptNotice", component: InterruptNotice } satisfies Meta<
  typeof InterruptNotice
>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Stopped: Story = { args: { reason: "user_cancel" } };
