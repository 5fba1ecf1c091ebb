import type { Preview } from "@storybook/react-vite";
import "../src/styles.css";

/** Every preview renders on the demo's page background, full width like the app; the introduction comes first. */
const preview: Preview = {
  parameters: {
    layout: "padded",
    options: { storySort: { order: ["Introduction", "Workspace", "App", "Chat", "Inspector", "Sessions"] } },
  },
};

// Storybook reads its preview configuration from the default export.
export default preview;
