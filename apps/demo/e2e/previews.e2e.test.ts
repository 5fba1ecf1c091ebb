import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../server/demo-server.ts";
import { type ChromiumSession, launchChromium } from "./chromium";
import { saveScreenshot } from "./demo-page";

const STATIC = fileURLToPath(new URL("../storybook-static", import.meta.url));
const built = existsSync(`${STATIC}/index.json`);

let chromium: ChromiumSession;
let server: DemoServer;

/**
 * Records what a page must never show: uncaught errors, console errors and failed requests
 * (a 404 for an asset, say) on the previews' own origin.
 */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && response.url().startsWith(server.url)) {
      problems.push(`${response.status()} ${response.url()}`);
    }
  });
  return problems;
}

/** Opens one story in the previews' iframe and fails on any page error. */
async function openStory(id: string): Promise<Page> {
  const page = await chromium.context.newPage();
  const errors = watchProblems(page);
  await page.goto(`${server.url}/iframe.html?id=${id}&viewMode=story`);
  await page.locator("#storybook-root > *").first().waitFor();
  expect(errors).toEqual([]);
  return page;
}

// `pnpm test` builds the previews (`pnpm previews:build`) before `pnpm e2e`.
describe.skipIf(!built)("the MSW-driven previews reach their states (needs `pnpm previews:build`)", () => {
  beforeAll(async () => {
    chromium = await launchChromium();
    server = await startDemoServer({ port: 0, staticDir: STATIC });
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  const states: [story: string, selector: string][] = [
    ["idle", '.status-badge[data-status="idle"]'],
    ["streaming", '.phase-chip[data-phase="streaming"]'],
    ["reconnecting", '.recovery-notice[data-recovery="resuming"]'],
    ["gave-up", '.recovery-notice[data-recovery="gave-up"] button'],
    ["waiting-for-approval", ".approval-card"],
    ["failed", '.status-badge[data-status="failed"]'],
    ["stopped", ".interrupt-notice"],
    ["long-transcript", 'li.bubble[data-role="assistant"]:nth-of-type(20)'],
    ["with-observer", '.chat-pane[data-variant="observer"] .phase-chip[data-phase="streaming"]'],
    ["not-your-session", '.session-gone[data-reason="foreign"]'],
    ["read-only-share", ".read-only-note"],
  ];
  for (const [story, selector] of states) {
    it(`ChatWorkspace: ${story}`, async () => {
      const page = await openStory(`workspace-chatworkspace-msw--${story}`);
      await page.locator(selector).first().waitFor({ timeout: 10_000 });
      await saveScreenshot(page, `preview-workspace-${story}`);
      await page.close();
    });
  }

  it("ChatWorkspace: approving in the waiting-for-approval preview continues the bubble", async () => {
    const page = await openStory("workspace-chatworkspace-msw--waiting-for-approval");
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await page.locator('.tool-call[data-state="output-available"]').waitFor();
    await page.locator('.status-badge[data-status="idle"]').waitFor();
    await saveScreenshot(page, "preview-workspace-approved");
    await page.close();
  });

  it("App: phone — the manager shows it at 390×844, with the composer and Send on screen while the answer streams", async () => {
    const manager = await chromium.context.newPage();
    const problems = watchProblems(manager);
    await manager.goto(`${server.url}/?path=/story/app-app-msw--phone`);
    const iframe = manager.locator("#storybook-preview-iframe");
    await expect
      .poll(() => iframe.evaluate((element) => Math.round(element.getBoundingClientRect().width)))
      .toBe(390);
    expect(problems).toEqual([]);
    await manager.close();

    const page = await openStory("app-app-msw--phone");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.chat-pane .phase-chip[data-phase="streaming"]').waitFor({ timeout: 10_000 });
    const onScreen = (selector: string) =>
      page.locator(selector).evaluate((element) => {
        const box = element.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
      });
    expect(await onScreen(".composer button[type=submit]")).toBe(true);
    expect(await onScreen(".app-header")).toBe(true);
    expect(await page.getByRole("button", { name: "Chats", exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Break it" }).isVisible()).toBe(true);
    await saveScreenshot(page, "preview-app-phone");
    await page.close();
  });

  it("the previews open on the introduction, with no console error and no failed request", async () => {
    const page = await chromium.context.newPage();
    const problems = watchProblems(page);
    await page.goto(server.url);
    await page.locator("#storybook-preview-iframe").waitFor();
    const frame = page.frameLocator("#storybook-preview-iframe");
    await frame.getByRole("heading", { name: /chat-replay demo: the states/ }).waitFor({ timeout: 20_000 });
    await saveScreenshot(page, "preview-introduction");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("every other preview renders without a page error", async () => {
    const index = (await (await fetch(`${server.url}/index.json`)).json()) as {
      entries: Record<string, { type: string }>;
    };
    const stories = Object.entries(index.entries)
      .filter(([id, entry]) => entry.type === "story" && !id.includes("-msw--"))
      .map(([id]) => id);
    expect(stories.length).toBeGreaterThan(50);
    const page = await chromium.context.newPage();
    const errors = watchProblems(page);
    const failed: string[] = [];
    for (const id of stories) {
      await page.goto(`${server.url}/iframe.html?id=${id}&viewMode=story`);
      // Storybook marks the body once a story rendered, or shows its error display.
      await page.locator("body.sb-show-main, body.sb-show-errordisplay").waitFor({ state: "attached" });
      if (await page.locator("body.sb-show-errordisplay").count()) failed.push(id);
    }
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
