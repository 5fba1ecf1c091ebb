import { type RefObject, useCallback, useLayoutEffect, useRef, useState } from "react";

/** How close to the bottom (px) still counts as "following" the stream. */
const FOLLOW_THRESHOLD = 48;

/** What {@link useStickToBottom} tells its user. */
export interface StickToBottom {
  /** The reader is at the end (following); false once they scrolled up. */
  readonly following: boolean;
  /** Scrolls to the end and follows again ("Jump to latest"). */
  readonly jumpToLatest: () => void;
}

/**
 * Keeps a scroll container pinned to its end while content grows, unless the reader has
 * scrolled up to read something (then it leaves them alone until they scroll back down or
 * jump to the latest).
 */
export function useStickToBottom(
  container: RefObject<HTMLElement | null>,
  contentKey: unknown,
): StickToBottom {
  const followingRef = useRef(true);
  const [following, setFollowing] = useState(true);
  // Where our own last pin left the scroll position: content growth never lowers scrollTop,
  // so a lower one away from the end is the reader scrolling up, even when the content
  // changed again before their scroll event arrived.
  const pinnedAt = useRef(0);
  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const onScroll = () => {
      const atEnd = element.scrollHeight - element.scrollTop - element.clientHeight < FOLLOW_THRESHOLD;
      followingRef.current = atEnd;
      setFollowing(atEnd);
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, [container]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: contentKey is the trigger, not an input
  useLayoutEffect(() => {
    const element = container.current;
    if (!element || !followingRef.current) return;
    const fromEnd = element.scrollHeight - element.scrollTop - element.clientHeight;
    if (element.scrollTop < pinnedAt.current - 1 && fromEnd >= FOLLOW_THRESHOLD) {
      followingRef.current = false;
      setFollowing(false);
      return;
    }
    element.scrollTop = element.scrollHeight;
    pinnedAt.current = element.scrollTop;
  }, [container, contentKey]);
  const jumpToLatest = useCallback(() => {
    const element = container.current;
    followingRef.current = true;
    setFollowing(true);
    if (!element) return;
    element.scrollTop = element.scrollHeight;
    pinnedAt.current = element.scrollTop;
  }, [container]);
  return { following, jumpToLatest };
}
