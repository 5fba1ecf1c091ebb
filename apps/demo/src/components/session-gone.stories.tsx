import type { Meta, StoryObj } from "@storybook/react-vite";
import { SessionGone } from "./session-gone";

const meta = {
  title: "Sessions/SessionGone",
  component: SessionGone,
  args: { onForget: () => {}, ownedHere: false, shared: false },
} satisfies Meta<typeof SessionGone>;
export default meta;
type Story = StoryObj<typeof meta>;

/** Someone else's chat (or one this browser never had): the server's 404, said honestly. */
export const NotYourSession: Story = {};
/** This browser created it, but the in-memory server restarted. */
export const ForgottenByServer: Story = { args: { ownedHere: true } };
/** A share link that was revoked or expired. */
export const DeadShareLink: Story = { args: { shared: true } };
