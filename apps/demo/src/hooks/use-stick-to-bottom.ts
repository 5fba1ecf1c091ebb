import { type RefObject, useLayoutEffect, useRef } from "react";

/** How close to the bottom (px) still counts as "following" the stream. */
const FOLLOW_THRESHOLD = 48;

/**
 * Keeps a scroll container pinned to its end while content grows, unless the reader has
 * scrolled up to read something (then it leaves them alone until they scroll back down).
 */
export function useStickToBottom(container: RefObject<HTMLElement | null>, contentKey: unknown): void {
  const following = useRef(true);
  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const onScroll = () => {
      following.current = element.scrollHeight - element.scrollTop - element.clientHeight < FOLLOW_THRESHOLD;
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, [container]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: contentKey is the trigger, not an input
  useLayoutEffect(() => {
    const element = container.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [container, contentKey]);
}
