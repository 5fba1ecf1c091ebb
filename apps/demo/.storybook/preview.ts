import type { Preview } from "@storybook/react-vite";
import { MINIMAL_VIEWPORTS } from "storybook/viewport";
import "../src/styles.css";

/** Every preview renders on the demo's page background, full width like the app; the introduction comes first. */
const preview: Preview = {
  parameters: {
    layout: "padded",
    options: { storySort: { order: ["Introduction", "Workspace", "App", "Chat", "Inspector", "Sessions"] } },
    // The phone the demo's e2e checks (390×844), next to Storybook's own sizes.
    viewport: {
      options: {
        phone: { name: "Phone 390×844", styles: { width: "390px", height: "844px" }, type: "mobile" },
        ...MINIMAL_VIEWPORTS,
      },
    },
  },
};

// Storybook reads its preview configuration from the default export.
export default preview;
