// @vitest-environment jsdom
import { focusManager, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import type { ReactNode } from "react";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { useSessionStatus } from "../src/use-session-status";

let payload = {
  turn_status: "idle",
  curr_run_id: null as string | null,
  prompt: null as string | null,
  prompt_message_id: null as string | null,
  version: 0,
};
const seen: { ifNoneMatch: string | null }[] = [];
const server = setupServer(
  http.get("http://test/api/sessions/s1/status", ({ request }) => {
    const ifNoneMatch = request.headers.get("if-none-match");
    seen.push({ ifNoneMatch });
    const etag = `"v${payload.version}"`;
    if (ifNoneMatch === etag) return new HttpResponse(null, { status: 304, headers: { etag } });
    return HttpResponse.json(payload, { headers: { etag } });
  }),
);
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  focusManager.setFocused(undefined);
  seen.length = 0;
  payload = { ...payload, turn_status: "idle", curr_run_id: null, version: 0 };
});
afterAll(() => server.close());

function mount() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
  let renders = 0;
  const hook = renderHook(
    () => {
      renders++;
      return useSessionStatus({ sessionId: "s1", baseUrl: "http://test" });
    },
    { wrapper },
  );
  return { ...hook, renders: () => renders };
}

describe("useSessionStatus", () => {
  it("returns camelCase status and sends If-None-Match; a 304 keeps the same data object (no re-render)", async () => {
    const { result, renders } = mount();
    await waitFor(() => expect(result.current.data?.turnStatus).toBe("idle"));
    const first = result.current.data;
    expect(first).toEqual({
      turnStatus: "idle",
      currRunId: null,
      prompt: null,
      promptMessageId: null,
      version: 0,
    });
    const rendersBefore = renders();
    await act(() => result.current.refetch());
    expect(seen.at(-1)?.ifNoneMatch).toBe('"v0"');
    expect(result.current.data).toBe(first);
    expect(renders() - rendersBefore).toBeLessThanOrEqual(2);
  });

  it("polls about every second while running and every three seconds when idle", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const { result } = mount();
    await vi.waitFor(() => expect(result.current.data?.turnStatus).toBe("idle"));
    const idleStart = seen.length;
    await act(() => vi.advanceTimersByTimeAsync(3000 * 3 + 100));
    expect(seen.length - idleStart).toBe(3);
    payload = {
      ...payload,
      turn_status: "running",
      curr_run_id: "r1",
      prompt: "hi",
      prompt_message_id: "m1",
      version: 1,
    };
    await act(() => vi.advanceTimersByTimeAsync(3000));
    await vi.waitFor(() => expect(result.current.data?.turnStatus).toBe("running"));
    const runningStart = seen.length;
    await act(() => vi.advanceTimersByTimeAsync(1000 * 5 + 100));
    expect(seen.length - runningStart).toBe(5);
  });

  it("pauses polling while the tab is hidden and refetches when it is focused again", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const { result } = mount();
    await vi.waitFor(() => expect(result.current.data?.turnStatus).toBe("idle"));
    act(() => focusManager.setFocused(false));
    const hiddenStart = seen.length;
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(seen.length).toBe(hiddenStart);
    act(() => focusManager.setFocused(true));
    await vi.waitFor(() => expect(seen.length).toBe(hiddenStart + 1));
  });
});
