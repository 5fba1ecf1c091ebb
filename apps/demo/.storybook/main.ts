import type { StorybookConfig } from "@storybook/react-vite";

/** Component previews of the demo (`pnpm previews`, `pnpm previews:build`); no addons, no network. */
const config: StorybookConfig = {
  stories: ["../src/**/*.stories.tsx"],
  framework: { name: "@storybook/react-vite", options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  typescript: { reactDocgen: false },
  // The previews are a local bundle of every story: its size is not a budget, so the build stays quiet.
  viteFinal: (viteConfig) => ({ ...viteConfig, build: { ...viteConfig.build, chunkSizeWarningLimit: 2048 } }),
};

// Storybook reads its configuration from the default export.
export default config;
