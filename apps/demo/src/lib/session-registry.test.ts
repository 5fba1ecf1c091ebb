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
});
