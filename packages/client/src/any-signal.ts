/**
 * `AbortSignal.any(signals)`: a signal that aborts, with that source's reason, as soon as
 * one source does. Uses the platform's where it exists and a small fallback where it does
 * not (Safari < 17.4, Chromium < 116, Firefox < 124), so the transport still loads there.
 *
 * The fallback's listener on each still-live source lives until one source aborts (the
 * platform version holds sources weakly): one small closure per call, acceptable for the
 * reconnect rate of a chat.
 */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any([...signals]);
  const controller = new AbortController();
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return controller.signal;
  }
  const onAbort = (event: Event): void => {
    for (const signal of signals) signal.removeEventListener("abort", onAbort);
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const signal of signals) signal.addEventListener("abort", onAbort);
  return controller.signal;
}
