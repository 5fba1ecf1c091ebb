import { useSyncExternalStore } from "react";
import { type HashRoute, parseHashRoute } from "../lib/hash-route";

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

const currentHash = () => window.location.hash;
const serverHash = () => "";

/** The route selected by `location.hash`, re-rendering on `hashchange` (reload keeps it). */
export function useHashRoute(): HashRoute {
  const hash = useSyncExternalStore(subscribe, currentHash, serverHash);
  return parseHashRoute(hash);
}
