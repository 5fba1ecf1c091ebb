import { describe, expect, it } from "vitest";
import { type RegistryStorage, SessionRegistry } from "./session-registry";

function memoryStorage(initial: string | null = null): RegistryStorage & { value: string | null } {
  return {
    value: initial,
    getItem() {
      return this.value;
    },
    setItem(_key, value) {
      this.value = value;
    },
  };
}

const chat = (id: string) => ({ id, title: `Chat ${id}`, createdAt: "2026-11-24T10:00:00.000Z" });

describe("SessionRegistry", () => {
  it("keeps sessions newest first, persists them, and forgets on request", () => {
    const storage = memoryStorage();
    const registry = new SessionRegistry(storage);
    registry.add(chat("1"));
    registry.add(chat("2"));
    registry.add(chat("1"));
    expect(registry.getSnapshot().map((session) => session.id)).toEqual(["1", "2"]);
    registry.remove("2");
    expect(new SessionRegistry(storage).getSnapshot()).toEqual([chat("1")]);
  });

  it("starts empty from corrupt or foreign storage", () => {
    expect(new SessionRegistry(memoryStorage("{not json")).getSnapshot()).toEqual([]);
    expect(new SessionRegistry(memoryStorage('[{"id":1}]')).getSnapshot()).toEqual([]);
    expect(new SessionRegistry(null).getSnapshot()).toEqual([]);
  });

  it("follows another tab's changes through the storage event", () => {
    const shared = memoryStorage();
    const here = new SessionRegistry(shared);
    const there = new SessionRegistry(shared);
    const window = new EventTarget();
    const stop = here.syncAcrossTabs(window);
    let notified = 0;
    here.subscribe(() => notified++);
    there.add(chat("7"));
    window.dispatchEvent(Object.assign(new Event("storage"), { key: "chat-replay-demo:sessions" }));
    expect(here.getSnapshot()).toEqual([chat("7")]);
    expect(notified).toBe(1);
    // The same list again (another key, or no change) notifies nobody.
    window.dispatchEvent(Object.assign(new Event("storage"), { key: "other" }));
    window.dispatchEvent(Object.assign(new Event("storage"), { key: "chat-replay-demo:sessions" }));
    expect(notified).toBe(1);
    stop();
  });
});
