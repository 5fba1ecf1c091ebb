import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type ChromiumSession, launchChromium } from "./chromium";
import {
  answerText,
  assistantBubble,
  expectAccessible,
  mainPane,
  openNewChat,
  saveScreenshot,
  sendPrompt,
  settledAnswer,
  statusOf,
  storedMessages,
  waitForAnswerLength,
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

async function freshPage(): Promise<Page> {
  page = await context.newPage();
  return page;
}

describe("the demo chat in Chromium", () => {
  it("sends a prompt and shows the full answer, exactly the server's transcript", async () => {
    const page = await freshPage();
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, "Explain resumable streams [[words=40]] [[delay=5]]");
    const pane = mainPane(page);
    await expect.poll(() => statusOf(pane)).toBe("running");
    const stored = await settledAnswer(page, sessionId);
    expect(stored.text.split(" ")).toHaveLength(40);
    await expect.poll(() => answerText(assistantBubble(pane))).toBe(stored.text);
    await expect.poll(() => statusOf(pane)).toBe("idle");
    expect(await pane.locator("li.bubble").count()).toBe(2);
    await saveScreenshot(page, "send-full-answer");
  });

  it("shows reasoning (collapsible) and a tool call with its input and output", async () => {
    const page = await freshPage();
    const sessionId = await openNewChat(page, demoUrl);
    await mainPane(page)
      .getByRole("button", { name: /Reasoning \+ tool/ })
      .click();
    await settledAnswer(page, sessionId);
    const bubble = assistantBubble(mainPane(page));
    const tool = bubble.locator('.tool-call[data-tool="search"]');
    await expect.poll(() => tool.getAttribute("data-state")).toBe("output-available");
    expect(await tool.textContent()).toContain("exact resume with Last-Event-ID");
    const reasoning = bubble.locator("details.reasoning-part").first();
    await expect
      .poll(() => reasoning.evaluate((element) => (element as HTMLDetailsElement).open))
      .toBe(false);
    await reasoning.locator("summary").click();
    expect(await reasoning.evaluate((element) => (element as HTMLDetailsElement).open)).toBe(true);
    // The model reasons anew after the tool result: two reasoning parts, never the same text twice.
    const thoughts = await bubble.locator(".reasoning-text").allTextContents();
    expect(thoughts).toHaveLength(2);
    expect(new Set(thoughts).size).toBe(2);
    await saveScreenshot(page, "reasoning-and-tool");
  });

  it("a failed turn shows its error once, in the bubble, with the failed status (no second copy as an alert)", async () => {
    const page = await freshPage();
    const sessionId = await openNewChat(page, demoUrl);
    await mainPane(page)
      .getByRole("button", { name: /Failure/ })
      .click();
    await settledAnswer(page, sessionId);
    const pane = mainPane(page);
    await expect.poll(() => statusOf(pane)).toBe("failed");
    // Clients see a generic failure with an error id; the details go to the server log.
    await expect
      .poll(() => answerText(assistantBubble(pane)))
      .toMatch(/The assistant failed \(error [0-9a-f]{8}\)/);
    expect(await page.getByText(/The assistant failed/).count()).toBe(1);
    expect(await page.getByRole("alert").count()).toBe(0);
    await expectAccessible(page, "failed");
    await saveScreenshot(page, "failed-turn");
    // After a reload the same single, specific text.
    await page.reload();
    await expect
      .poll(() => answerText(assistantBubble(mainPane(page))))
      .toMatch(/The assistant failed \(error [0-9a-f]{8}\)/);
    expect(await page.getByText(/The assistant failed/).count()).toBe(1);
  });

  it("Stop cancels the turn on the server; the partial answer stays with the interrupt", async () => {
    const page = await freshPage();
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, "Please keep talking [[words=400]] [[delay=20]]");
    const pane = mainPane(page);
    await waitForAnswerLength(pane, 40);
    await pane.getByRole("button", { name: "Stop for everyone", exact: true }).click();
    await expect.poll(() => statusOf(pane)).toBe("stopped");
    const stored = await settledAnswer(page, sessionId);
    expect(stored.text.split(" ").length).toBeLessThan(400);
    await expect.poll(() => answerText(assistantBubble(pane))).toBe(stored.text);
    await expect.poll(() => pane.locator(".interrupt-notice").count()).toBe(1);
    const last = (await storedMessages(page, sessionId)).at(-1);
    expect(last?.parts.some((part) => part.type === "data-interrupt")).toBe(true);
    await saveScreenshot(page, "stopped-turn");
  });

  it("works at phone width with the keyboard: no sideways scrolling, approval by Enter", async () => {
    const page = await freshPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const sessionId = await openNewChat(page, demoUrl);
    await mainPane(page).getByRole("button", { name: "Needs approval", exact: true }).focus();
    await page.keyboard.press("Enter");
    const approve = page.getByRole("button", { name: "Approve", exact: true });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await saveScreenshot(page, "phone-approval-card");
    await approve.focus();
    await page.keyboard.press("Enter");
    await settledAnswer(page, sessionId);
    await expect.poll(() => statusOf(mainPane(page))).toBe("idle");
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await saveScreenshot(page, "phone-approved");
  });
});
