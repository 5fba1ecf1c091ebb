import { AbstractChat, type ChatInit, type ChatState, type ChatStatus, type UIMessage } from "ai";

/** What a {@link ReplayChat} holds, as one immutable snapshot per change. */
export interface ReplayChatSnapshot {
  readonly messages: UIMessage[];
  readonly status: ChatStatus;
  readonly error: Error | undefined;
}

/** A plain `ChatState` that tells its subscribers about every change. */
class ObservableChatState implements ChatState<UIMessage> {
  private value: ReplayChatSnapshot;
  readonly listeners = new Set<() => void>();

  constructor(messages: UIMessage[]) {
    this.value = { messages, status: "ready", error: undefined };
  }

  get snapshotValue(): ReplayChatSnapshot {
    return this.value;
  }

  get status(): ChatStatus {
    return this.value.status;
  }
  set status(status: ChatStatus) {
    this.set({ status });
  }
  get error(): Error | undefined {
    return this.value.error;
  }
  set error(error: Error | undefined) {
    this.set({ error });
  }
  get messages(): UIMessage[] {
    return this.value.messages;
  }
  set messages(messages: UIMessage[]) {
    this.set({ messages: [...messages] });
  }
  pushMessage = (message: UIMessage) => this.set({ messages: [...this.value.messages, message] });
  popMessage = () => this.set({ messages: this.value.messages.slice(0, -1) });
  replaceMessage = (index: number, message: UIMessage) => {
    const messages = [...this.value.messages];
    // Copy: the AI SDK keeps mutating the streaming message it hands over.
    messages[index] = structuredClone(message);
    this.set({ messages });
  };
  snapshot = <T>(thing: T): T => structuredClone(thing);

  private set(change: Partial<ReplayChatSnapshot>): void {
    this.value = { ...this.value, ...change };
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * The AI SDK's chat without a UI framework: `AbstractChat` over a plain observable state,
 * with `subscribe`/`getSnapshot` for any view layer (or none: a worker, a test, a CLI).
 * React apps use `@ai-sdk/react`'s `Chat` through `useVercelChat` instead.
 */
export class ReplayChat extends AbstractChat<UIMessage> {
  private readonly observable: ObservableChatState;

  constructor(init: ChatInit<UIMessage>) {
    const state = new ObservableChatState(init.messages ?? []);
    super({ ...init, state });
    this.observable = state;
  }

  /** Calls `listener` after every change of messages, status or error. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.observable.listeners.add(listener);
    return () => this.observable.listeners.delete(listener);
  };

  /** The current messages, status and error (a new object after every change). */
  readonly getSnapshot = (): ReplayChatSnapshot => this.observable.snapshotValue;
}
