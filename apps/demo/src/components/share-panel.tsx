import type { ReplayClient, ShareLink } from "@chat-replay/client";
import { toDataURL } from "qrcode";
import { useEffect, useId, useRef, useState } from "react";
import { sessionHash } from "../lib/hash-route";

/** Props of {@link SharePanel}. */
export interface SharePanelProps {
  readonly sessionId: string;
  readonly client: ReplayClient;
  /** Where the demo runs (`location.origin + pathname`); the link opens the same page. */
  readonly pageUrl: string;
  /** Bumped by "Open on another device" elsewhere: mint a link (once) and show the panel. */
  readonly requests?: number;
}

/** A minted share link, ready to show. */
interface Shared {
  readonly url: string;
  readonly qr: string;
  readonly expiresAt: string;
}

/**
 * "Open on another device": mints the server's read-only share link (`POST /:id/share`)
 * and shows it as a link and a QR code. Whoever opens it reads the chat live, and can
 * change nothing (the server answers 403 `read_only` to every write).
 */
export function SharePanel({ sessionId, client, pageUrl, requests = 0 }: SharePanelProps) {
  const headingId = useId();
  const [shared, setShared] = useState<Shared | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const panel = useRef<HTMLElement>(null);
  const link = useRef<HTMLAnchorElement>(null);
  // The "Create share link" button is replaced by the link: the link takes the focus. A
  // request from elsewhere ("Open on another device") brings the minted QR code into view.
  const focusLink = useRef(false);
  const reveal = useRef(false);
  useEffect(() => {
    if (shared && reveal.current) panel.current?.scrollIntoView({ block: "nearest" });
    if (shared && focusLink.current) link.current?.focus();
    focusLink.current = false;
    reveal.current = false;
  }, [shared]);
  const mint = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const link: ShareLink = await client.share(sessionId);
      const url = `${pageUrl}${sessionHash(sessionId, link.token)}`;
      const qr = await toDataURL(url, { margin: 1, width: 176, errorCorrectionLevel: "L" });
      setShared({ url, qr, expiresAt: link.expiresAt });
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new request is the only trigger
  useEffect(() => {
    if (requests === 0) return;
    panel.current?.scrollIntoView({ block: "nearest" });
    if (shared) return;
    reveal.current = true;
    void mint();
  }, [requests]);
  return (
    <section className="panel share-panel" aria-labelledby={headingId} ref={panel}>
      <h2 id={headingId}>Open on another device</h2>
      {shared ? (
        <>
          <img
            className="share-qr"
            src={shared.qr}
            alt="QR code of the read-only link"
            width={176}
            height={176}
          />
          <p>
            <a
              ref={link}
              href={shared.url}
              className="share-link"
              data-testid="share-link"
              target="_blank"
              rel="noopener"
            >
              Read-only link
            </a>{" "}
            <span className="muted">(expires {new Date(shared.expiresAt).toLocaleDateString()})</span>
          </p>
          <p className="hint">Anyone with the link can read this chat live; nobody can write with it.</p>
        </>
      ) : (
        <>
          <p className="hint">A read-only link (and QR code) for a phone or another browser.</p>
          <button
            type="button"
            className="button"
            onClick={() => {
              focusLink.current = true;
              void mint();
            }}
            disabled={busy}
          >
            {busy ? "Creating link…" : "Create share link"}
          </button>
        </>
      )}
      {error && (
        <p className="inline-error" role="alert">
          Could not create a link: {error}
        </p>
      )}
    </section>
  );
}
