import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type ChromiumSession, launchChromium } from "./chromium";
import {
  focused,
  mainPane,
  openNewChat,
  sendPrompt,
  settledAnswer,
  statusOf,
  waitForAnswerLength,
} from "./demo-page";

/**
 * Issue 17, controls with clear meanings: after every action the keyboard focus is on a
 * control that is still there, never on <body> (where a keyboard or screen-reader user
 * would start over from the top of the page). Each step waits for the action's visible
 * consequence first (a disabled or removed control hands the focus to <body> only then).
 */

const demoUrl = inject("demoUrl");
let chromium: ChromiumSession;
const pages: Page[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(() => chromium?.close());
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
});

async function newPage(): Promise<Page> {
  const page = await chromium.context.newPage();
  pages.push(page);
  return page;
}

/** The connection panel's phase (`data-phase` of its chip). */
function panelPhase(page: Page): Promise<string | null> {
  return page.locator(".connection-panel .phase-chip").getAttribute("data-phase");
}

describe("focus after every action, in Chromium", () => {
  it("desktop: scenario chip, stop, detach and re-attach, offline and back, drop, Jump to latest, event log, observer, share link, directive chip, Send, approval: never <body>", async () => {
    const page = await newPage();
    const pane = mainPane(page);
    const sessionId = await openNewChat(page, demoUrl);
    expect(await focused(page), "after Start a new chat").toBe("textarea:");

    // A scenario chip in the empty transcript sends at once; the chips go away with it.
    await pane.locator(".empty-transcript").getByRole("button", { name: "Long answer" }).click();
    await expect.poll(() => statusOf(pane)).toBe("running");
    expect(await focused(page), "after a scenario chip").toBe("textarea:");
    await pane.getByRole("button", { name: "Stop for everyone" }).click();
    await expect.poll(() => statusOf(pane)).toBe("stopped");
    expect(await focused(page), "after Stop for everyone").toBe("textarea:");

    // A turn that outlasts everything below with room to spare (about 60 s; stopped at the
    // end), sent by Enter.
    await sendPrompt(page, "Break me gently [[words=3000]] [[delay=20]]");
    await waitForAnswerLength(pane, 40);
    await pane.getByRole("button", { name: "Detach this tab" }).click();
    await pane.locator('.recovery-notice[data-recovery="detached"]').waitFor();
    expect(await focused(page), "after Detach").toBe("button:Re-attach this tab");
    await pane.getByRole("button", { name: "Re-attach this tab" }).click();
    await expect.poll(() => pane.locator(".recovery-notice").count()).toBe(0);
    await expect.poll(() => panelPhase(page)).toBe("streaming");
    expect(await focused(page), "after Re-attach").not.toBe("body");

    await page.getByRole("button", { name: "Go offline for 20 s" }).click();
    await pane.locator('.recovery-notice[data-recovery="resuming"]').waitFor();
    expect(await focused(page), "after Go offline").toBe("button:Back online now");
    await page.getByRole("button", { name: "Back online now" }).click();
    await expect.poll(() => panelPhase(page)).toBe("streaming");
    expect(await focused(page), "after Back online").toBe("button:Go offline for 20 s");

    const reconnects = Number(await page.getByTestId("reconnects").textContent());
    await page.getByRole("button", { name: "Drop connection now" }).click();
    await expect.poll(() => page.getByTestId("reconnects").textContent()).toBe(String(reconnects + 1));
    expect(await focused(page), "after Drop connection").toBe("button:Drop connection now");

    // Jump to latest goes away once used: the focus goes to the transcript it scrolled.
    await waitForAnswerLength(pane, 3000);
    await pane.locator(".message-scroller").evaluate((element) => {
      element.scrollTop = 0;
    });
    await pane.getByRole("button", { name: /Jump to latest/ }).click();
    await expect.poll(() => pane.getByRole("button", { name: /Jump to latest/ }).count()).toBe(0);
    expect(await focused(page), "after Jump to latest").toMatch(/^section:Conversation/);

    await page.getByRole("button", { name: /Show event log/ }).click();
    await page.locator(".event-log-scroller:not([hidden])").waitFor();
    expect(await focused(page), "after Show event log").toMatch(/^button:Hide event log/);
    await page.getByRole("button", { name: "Clear", exact: true }).click();
    expect(await focused(page), "after Clear").toBe("button:Clear");

    await page.getByRole("button", { name: "Open observer" }).click();
    await page.getByTestId("observer-pane").waitFor();
    expect(await focused(page), "after Open observer").toBe("button:Close observer");
    await page.getByTestId("observer-pane").getByRole("button", { name: "Close observer" }).click();
    await expect.poll(() => page.getByTestId("observer-pane").count()).toBe(0);
    expect(await focused(page), "after the observer's Close").not.toBe("body");

    await page.getByRole("button", { name: "Create share link" }).click();
    await page.getByTestId("share-link").waitFor();
    expect(await focused(page), "after Create share link").toBe("a:Read-only link");

    await pane.getByRole("button", { name: "Stop for everyone" }).click();
    await expect.poll(() => statusOf(pane)).toBe("stopped");

    // A directive chip adds to the draft and hands the focus to the message box.
    await page.getByRole("button", { name: "[[words=400]]" }).click();
    expect(await focused(page), "after a directive chip").toMatch(/^textarea:/);
    expect(await pane.getByLabel("Message").inputValue()).toBe("[[words=400]] ");
    // Send by the button (not Enter): the button disables while the turn runs.
    await pane.getByLabel("Message").fill("Sent by the button [[words=200]] [[delay=20]]");
    await pane.getByRole("button", { name: "Send", exact: true }).click();
    await expect.poll(() => statusOf(pane)).toBe("running");
    expect(await focused(page), "after Send").toBe("textarea:");
    await settledAnswer(page, sessionId);
    await expect.poll(() => statusOf(pane)).toBe("idle");
    // A scenario chip in the break-it panel: the chips disable while the turn runs.
    await page.locator(".break-it").getByRole("button", { name: "Needs approval" }).click();
    await page.getByRole("region", { name: /Approve deploy/ }).waitFor({ timeout: 20_000 });
    expect(await focused(page), "after a panel scenario chip").toBe("textarea:");
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await settledAnswer(page, sessionId);
    await expect.poll(() => statusOf(pane)).toBe("idle");
    expect(await focused(page), "after Approve").toBe("textarea:");
  });

  it("a chat that is not here: 'Back to my chats' leads to the start button; on a phone, picking a chat from the drawer returns the focus to its toggle", async () => {
    const page = await newPage();
    const sessionId = await openNewChat(page, demoUrl);
    await sendPrompt(page, "Short [[words=5]]");
    await settledAnswer(page, sessionId);
    // A second chat, so that the first is not the one this page just created (that one
    // would focus its message box on opening).
    await page.getByRole("navigation", { name: "Chats" }).getByRole("button", { name: "New chat" }).click();
    await expect.poll(() => new URL(page.url()).hash).not.toContain(sessionId);

    await page.goto(`${demoUrl}/#/session/not-a-chat-of-this-browser`);
    await page.locator('.session-gone[data-reason="foreign"]').waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Back to my chats" }).click();
    await page.getByRole("heading", { name: /A chat that survives/ }).waitFor();
    expect(await focused(page), "after Back to my chats").toBe("button:Start a new chat");

    await page.setViewportSize({ width: 390, height: 844 });
    const chats = page.getByRole("button", { name: "Chats", exact: true });
    await chats.click();
    const nav = page.getByRole("navigation", { name: "Chats" });
    await nav.locator(`a[href="#/session/${sessionId}"]`).click();
    await expect.poll(() => statusOf(mainPane(page))).toBe("idle");
    await expect.poll(() => nav.isVisible()).toBe(false);
    expect(await focused(page), "after picking a chat in the drawer").toBe("button:Chats");
  });
});
