import type { Meta, StoryObj } from "@storybook/react-vite";
import { Welcome } from "./welcome";

const meta = { title: "Sessions/Welcome", component: Welcome, args: { onCreate: () => {} } } satisfies Meta<
  typeof Welcome
>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Idle: Story = { args: { creating: false } };
export const Creating: Story = { args: { creating: true } };
