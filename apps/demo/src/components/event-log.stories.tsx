import type { Meta, StoryObj } from "@storybook/react-vite";
import type { FrameRecord } from "../lib/frame-log";
import { EventLog } from "./event-log";

const frames: FrameRecord[] = [
  { seq: 1, id: null, type: "start", source: "POST messages" },
  ...Array.from({ length: 14 }, (_, index) => ({
    seq: index + 2,
    id: `18000000000${String(index + 10)}-0:0`,
    type: index === 0 ? "text-start" : "text-delta",
    source: index < 8 ? "POST messages" : "GET stream",
  })),
  { seq: 16, id: null, type: "finish", source: "GET stream" },
  { seq: 17, id: null, type: "[DONE]", source: "GET stream" },
];

const meta = {
  title: "Inspector/EventLog",
  component: EventLog,
  args: { frames, onToggle: () => {}, onClear: () => {} },
  decorators: [
    (Story) => (
      <div style={{ maxWidth: "21rem" }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof EventLog>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Collapsed: Story = { args: { expanded: false } };
export const Expanded: Story = { args: { expanded: true } };
export const Empty: Story = { args: { expanded: true, frames: [] } };
