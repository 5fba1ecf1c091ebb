import type { Meta, StoryObj } from "@storybook/react-vite";
import { Introduction } from "./previews/introduction";

/** The previews' start page: the demo's states and where to see each. */
const meta = {
  title: "Introduction",
  component: Introduction,
  parameters: { options: { showPanel: false } },
} satisfies Meta<typeof Introduction>;
export default meta;
type Story = StoryObj<typeof meta>;

export const States: Story = {};
