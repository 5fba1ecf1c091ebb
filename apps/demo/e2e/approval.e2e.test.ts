import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type ChromiumSession, launchChromium } from "./chromium";
import {
  assistantBubble,
  mainPane,
  openNewChat,
  saveScreenshot,
  settledAnswer,
  statusOf,
  storedMessages,
} from "./demo-page";

const demoUrl = inject("demoUrl");
let chromium: ChromiumSession;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  chromium = await launchChromium();
  context = chromium.context;
});
afterAll(() => chromium?.close());
afterEach(() => page?.close());

/** Starts the approval scenario and waits for its card. */
async function reachApproval(): Promise<string> {
  page = await context.newPage();
  const sessionId = await openNewChat(page, demoUrl);
  await mainPane(page)
    .getByRole("button", { name: /Needs approval/ })
    .click();
  await expect.poll(() => statusOf(mainPane(page)), { timeout: 20_000 }).toBe("waiting_for_approval");
  await page.getByRole("region", { name: /Approve deploy/ }).waitFor();
  return sessionId;
}

describe("tool approvals in Chromium", () => {
  it("Approve continues the paused bubble: the tool runs and the answer follows in the same bubble", async () => {
    const sessionId = await reachApproval();
    const pane = mainPane(page);
    const bubbleId = await assistantBubble(pane).getAttribute("data-message-id");
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await settledAnswer(page, sessionId);
    await expect.poll(() => statusOf(pane)).toBe("idle");
    const tool = assistantBubble(pane).locator('.tool-call[data-tool="deploy"]');
    await expect.poll(() => tool.getAttribute("data-state")).toBe("output-available");
    expect(await tool.textContent()).toContain('"deployed": true');
    expect(await pane.locator('li.bubble[data-role="assistant"]').count()).toBe(1);
    expect(await assistantBubble(pane).getAttribute("data-message-id")).toBe(bubbleId);
    expect(await page.getByRole("region", { name: /Approve deploy/ }).count()).toBe(0);
    await saveScreenshot(page, "approval-approved");
  });

  it("Deny continues without running the tool and shows the denial", async () => {
    const sessionId = await reachApproval();
    const pane = mainPane(page);
    await page.getByRole("button", { name: "Deny", exact: true }).click();
    await settledAnswer(page, sessionId);
    await expect.poll(() => statusOf(pane)).toBe("idle");
    const tool = assistantBubble(pane).locator('.tool-call[data-tool="deploy"]');
    await expect.poll(() => tool.getAttribute("data-state")).toBe("output-denied");
    const stored = (await storedMessages(page, sessionId)).at(-1);
    expect(stored?.parts.some((part) => part.state === "output-denied")).toBe(true);
    await saveScreenshot(page, "approval-denied");
  });
});
