import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
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
  waitForAnswerLength,
} from "./demo-page";

/**
 * Issue 17, sharing: "Open on another device" mints the server's read-only share link
 * (link and QR code); another browser opens it and watches the turn live without being
 * able to write; without the link it is told the truth: the chat belongs to another
 * browser. A chat created in one tab appears in the other tabs' lists at once.
 */

const demoUrl = inject("demoUrl");
/** The owner's browser and a second one with its own profile (no owner cookie): another device. */
let owner: ChromiumSession;
let device: ChromiumSession;
const pages: Page[] = [];

beforeAll(async () => {
  [owner, device] = await Promise.all([launchChromium(), launchChromium()]);
});
afterAll(async () => {
  await Promise.all(pages.map((page) => page.close()));
  await Promise.all([owner?.close(), device?.close()]);
});

async function newPage(session: ChromiumSession): Promise<Page> {
  const page = await session.context.newPage();
  pages.push(page);
  return page;
}

describe("sharing a chat with another device, in Chromium", () => {
  it("a share link opens the chat read-only and live in another browser; without it the other browser hears whose chat it is", async () => {
    const page = await newPage(owner);
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, "Watch me on your phone [[words=600]] [[delay=20]]");
    await waitForAnswerLength(mainPane(page), 60);

    await page.getByRole("button", { name: "Open on another device" }).click();
    const link = page.getByTestId("share-link");
    await link.waitFor();
    const href = (await link.getAttribute("href")) ?? "";
    expect(href).toMatch(new RegExp(`#/session/${sessionId}\\?share=`));
    const qr = page.getByRole("img", { name: "QR code of the read-only link" });
    await expect
      .poll(() => qr.evaluate((image) => (image as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
    // The panel scrolled to show what it minted: the QR code and the link are on screen.
    for (const minted of [qr, link]) {
      await expect
        .poll(() =>
          minted.evaluate((element) => element.getBoundingClientRect().bottom <= window.innerHeight),
        )
        .toBe(true);
    }
    await saveScreenshot(page, "share-link-and-qr");

    const viewer = await newPage(device);
    await viewer.goto(href);
    const pane = mainPane(viewer);
    await expect
      .poll(() => pane.locator('li.bubble[data-role="user"]').first().textContent())
      .toContain("Watch me on your phone");
    const seen = (await answerText(assistantBubble(pane))).length;
    await expect.poll(async () => (await answerText(assistantBubble(pane))).length).toBeGreaterThan(seen);
    expect(await statusOf(pane)).toBe("running");
    // Read-only: nothing to type into, nothing to stop; the server would refuse it anyway.
    expect(await viewer.getByText(/Read-only: you are watching this chat through a share link/).count()).toBe(
      1,
    );
    expect(await pane.locator("textarea").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Stop for everyone" }).count()).toBe(0);
    await expectAccessible(viewer, "read-only viewer");
    await saveScreenshot(viewer, "share-viewer-live");

    const final = await settledAnswer(page, sessionId);
    await expect.poll(() => answerText(assistantBubble(pane)), { timeout: 15_000 }).toBe(final.text);
    await expect.poll(() => statusOf(pane)).toBe("idle");

    // The same browser without the link: the server's 404 (existence never leaks), said honestly.
    const stranger = await newPage(device);
    await stranger.goto(`${demoUrl}/#/session/${sessionId}`);
    const gone = stranger.getByRole("alert");
    await expect.poll(() => gone.getAttribute("data-reason"), { timeout: 15_000 }).toBe("foreign");
    expect(await gone.textContent()).toContain("This chat belongs to another browser");
    expect(await gone.textContent()).not.toContain("restart");
    await expectAccessible(stranger, "not your session");
    await saveScreenshot(stranger, "not-your-session");
  });

  it("a chat created in one tab appears in the other tab's list without a reload", async () => {
    const first = await newPage(owner);
    await first.goto(demoUrl);
    const second = await newPage(owner);
    const sessionId = await openNewChat(second, demoUrl);
    const list = first.getByRole("navigation", { name: "Chats" });
    await expect
      .poll(() => list.locator(`a[href="#/session/${sessionId}"]`).count(), { timeout: 10_000 })
      .toBe(1);
  });
});
