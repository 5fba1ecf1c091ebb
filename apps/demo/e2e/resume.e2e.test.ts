import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type ChromiumSession, launchChromium } from "./chromium";
import {
  answerText,
  assistantBubble,
  expectMonotonicAnswer,
  mainPane,
  observerPane,
  openNewChat,
  recordAnswerSnapshots,
  saveScreenshot,
  sendPrompt,
  settledAnswer,
  statusOf,
  uninterruptedAnswer,
  waitForAnswerLength,
} from "./demo-page";

const demoUrl = inject("demoUrl");
let chromium: ChromiumSession;
let context: BrowserContext;
const pages: Page[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
  context = chromium.context;
});
afterAll(() => chromium?.close());
afterEach(async () => {
  await context.setOffline(false);
  await Promise.all(pages.splice(0).map((page) => page.close()));
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  pages.push(page);
  return page;
}

/** Reads an integer the connection panel shows. */
async function panelNumber(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).first().textContent());
}

describe("a turn survives drops, offline, reloads and second readers", () => {
  it("dropping the connection mid-turn (panel button) resumes to exactly the uninterrupted text", async () => {
    const prompt = "Drop me twice [[words=600]] [[reasoning=10]] [[delay=15]]";
    const page = await newPage();
    const snapshots = await recordAnswerSnapshots(page);
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, prompt);
    const pane = mainPane(page);
    const drop = page.getByRole("button", { name: "Drop connection now" });
    await waitForAnswerLength(pane, 100);
    await drop.click();
    await expect.poll(() => panelNumber(page, "reconnects")).toBe(1);
    await waitForAnswerLength(pane, 400);
    await drop.click();
    await expect.poll(() => panelNumber(page, "reconnects")).toBe(2);

    const final = await settledAnswer(page, sessionId);
    await expect.poll(() => answerText(assistantBubble(pane))).toBe(final.text);
    expectMonotonicAnswer(await snapshots(), final);
    // The same answer without the pacing: the scripted model seeds its words from the prompt
    // without its directives, so only `[[delay]]` differs.
    expect(final.text).toBe(await uninterruptedAnswer(page, prompt.replace("[[delay=15]]", "[[delay=0]]")));
    await saveScreenshot(page, "drop-connection-resumed");
  });

  it("going offline mid-turn: the transport waits offline, reconnects when back online, the answer completes exactly", async () => {
    const prompt = "Offline for a moment [[words=600]] [[delay=15]]";
    const page = await newPage();
    const snapshots = await recordAnswerSnapshots(page);
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, prompt);
    const pane = mainPane(page);
    await waitForAnswerLength(pane, 100);
    await context.setOffline(true);
    // Chromium's offline emulation spares a response already streaming over loopback, so the
    // open stream is cut as a flaky network would. Offline, the transport spends no attempts:
    // it waits for the `online` event, then reconnects at once.
    await page.getByRole("button", { name: "Drop connection now" }).click();
    await expect
      .poll(() => page.locator(".connection-panel .phase-chip").getAttribute("data-phase"))
      .toBe("offline");
    expect(await panelNumber(page, "reconnects")).toBe(0);
    await saveScreenshot(page, "offline-waiting");
    await context.setOffline(false);
    await expect.poll(() => panelNumber(page, "reconnects")).toBeGreaterThanOrEqual(1);

    const final = await settledAnswer(page, sessionId);
    await expect.poll(() => answerText(assistantBubble(pane)), { timeout: 20_000 }).toBe(final.text);
    expectMonotonicAnswer(await snapshots(), final);
    // The same answer without the pacing: the scripted model seeds its words from the prompt
    // without its directives, so only `[[delay]]` differs.
    expect(final.text).toBe(await uninterruptedAnswer(page, prompt.replace("[[delay=15]]", "[[delay=0]]")));
    await saveScreenshot(page, "offline-resumed");
  });

  it("reloading mid-turn continues the same bubble to the same final text", async () => {
    const prompt = "Reload me [[words=800]] [[delay=15]]";
    const page = await newPage();
    const snapshots = await recordAnswerSnapshots(page);
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, prompt);
    const pane = mainPane(page);
    await waitForAnswerLength(pane, 150);
    const bubbleId = await assistantBubble(pane).getAttribute("data-message-id");
    const before = await answerText(assistantBubble(pane));

    // Listen before clicking: a fast reload can fire "load" before a later listener exists.
    const loaded = page.waitForEvent("load");
    await page.getByRole("button", { name: "Reload page" }).click();
    await loaded;
    // The reloaded page attaches to the live turn: prompt first, then the same bubble.
    await expect
      .poll(() => pane.locator('li.bubble[data-role="user"]').textContent(), { timeout: 15_000 })
      .toContain("Reload me");
    await expect
      .poll(() => assistantBubble(pane).getAttribute("data-message-id"), { timeout: 15_000 })
      .toBe(bubbleId);
    await expect
      .poll(async () => (await answerText(assistantBubble(pane))).length)
      .toBeGreaterThan(before.length);
    expect(await statusOf(pane)).toBe("running");

    const final = await settledAnswer(page, sessionId);
    expect(final.id).toBe(bubbleId);
    await expect.poll(() => answerText(assistantBubble(pane))).toBe(final.text);
    expect(final.text.startsWith(before)).toBe(true);
    expectMonotonicAnswer(await snapshots(), final);
    expect(await pane.locator("li.bubble").count()).toBe(2);
    await saveScreenshot(page, "reload-continued");
  });

  it("an observer opened mid-turn (in-page pane and new tab) sees the prompt and the live answer", async () => {
    const prompt = "Watch me stream [[words=1000]] [[delay=15]]";
    const page = await newPage();
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, prompt);
    await waitForAnswerLength(mainPane(page), 100);

    await page.getByRole("button", { name: "Open observer" }).click();
    const inPage = observerPane(page);
    const tab = await newPage();
    await tab.goto(
      `${demoUrl}/${await page.getByRole("link", { name: "Observer in new tab" }).getAttribute("href")}`,
    );
    const inTab = mainPane(tab);

    for (const observer of [inPage, inTab]) {
      await expect
        .poll(() => observer.locator('li.bubble[data-role="user"]').first().textContent(), {
          timeout: 15_000,
        })
        .toContain("Watch me stream");
      await expect.poll(() => statusOf(observer)).toBe("running");
      // Live: the observer's copy of the answer grows while the turn runs.
      const seen = (await answerText(assistantBubble(observer))).length;
      await expect
        .poll(async () => (await answerText(assistantBubble(observer))).length)
        .toBeGreaterThan(seen);
    }
    await saveScreenshot(page, "observer-live-in-page");
    await saveScreenshot(tab, "observer-live-new-tab");

    const final = await settledAnswer(page, sessionId);
    for (const observer of [inPage, inTab, mainPane(page)]) {
      await expect.poll(() => answerText(assistantBubble(observer)), { timeout: 15_000 }).toBe(final.text);
      expect(await observer.locator("li.bubble").count()).toBe(2);
    }
    await saveScreenshot(page, "observer-finished");
  });
});
