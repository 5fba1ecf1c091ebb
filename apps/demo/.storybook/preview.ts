import type { Preview } from "@storybook/react-vite";
import "../src/styles.css";

/** Every preview renders on the demo's page background, full width like the app. */
const preview: Preview = {
  parameters: { layout: "padded" },
};

// Storybook reads its preview configuration from the default export.
export default preview;
