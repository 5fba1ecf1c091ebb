import { type ChromiumSession, launchChromium as launch } from "@chat-replay/test-fixture";

export type { ChromiumSession };

/** The shared launcher at the demo's desktop viewport. */
export function launchChromium(): Promise<ChromiumSession> {
  return launch({ viewport: { width: 1360, height: 900 } });
}
