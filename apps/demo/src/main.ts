/** The demo app; built by the demo issue. */
export const DEMO_APP_NAME = "chat-replay demo";
