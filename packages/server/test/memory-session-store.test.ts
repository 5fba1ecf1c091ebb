import { MemorySessionStore } from "../src/memory-session-store";
import { describeSessionStoreConformance } from "./session-store-conformance";

describeSessionStoreConformance("MemorySessionStore", (options) => new MemorySessionStore(options));
