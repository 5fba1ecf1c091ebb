import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** Name of the HttpOnly cookie that carries the owner token on plain-HTTP loopback. */
export const OWNER_COOKIE = "chat_replay_owner";
/** The same cookie when it is `Secure`: `__Host-` pins it to this host, path `/`, HTTPS. */
export const SECURE_OWNER_COOKIE = `__Host-${OWNER_COOKIE}`;

/** Bearer-token prefix of read-only share links. */
const SHARE_PREFIX = "share.";
const B64URL = "[A-Za-z0-9_-]";
/** `<43 random base64url chars>.<43 HMAC chars>` (256-bit nonce, HMAC-SHA-256). */
const OWNER_TOKEN_PATTERN = new RegExp(`^(${B64URL}{43})\\.(${B64URL}{43})$`);
/** `share.<session id>.<link id>.<HMAC>` */
const SHARE_TOKEN_PATTERN = new RegExp(`^share\\.(${B64URL}{1,64})\\.(${B64URL}{22})\\.(${B64URL}{43})$`);

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Who a request speaks for (§3 Identity). */
export type Caller =
  /** An owner: every route of their sessions. */
  | { readonly kind: "owner"; readonly ownerId: string }
  /** A share-link holder: read-only access to one session. */
  | { readonly kind: "share"; readonly sessionId: string; readonly linkId: string }
  | { readonly kind: "anonymous" }
  /** An `Authorization` header that is present but not a valid token: 401, never a new identity. */
  | { readonly kind: "invalid" };

/**
 * Signs and verifies owner tokens and share links with HMAC-SHA-256 under the server's
 * secrets (the first signs; all verify, for rotation). Web Crypto only, so it runs in any
 * Fetch runtime; `crypto.subtle.verify` compares in constant time.
 */
export class TokenSigner {
  private readonly keys: Promise<CryptoKey[]>;

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0 || secrets.some((secret) => secret.length < 16)) {
      throw new Error("chat-replay: every secret must be at least 16 characters");
    }
    this.keys = Promise.all(
      secrets.map((secret) =>
        crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
          "sign",
          "verify",
        ]),
      ),
    );
  }

  private async sign(payload: string): Promise<string> {
    const [key] = await this.keys;
    return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key!, encoder.encode(payload))));
  }

  private async verify(payload: string, signature: string): Promise<boolean> {
    const bytes = fromBase64url(signature);
    for (const key of await this.keys) {
      if (await crypto.subtle.verify("HMAC", key, bytes, encoder.encode(payload))) return true;
    }
    return false;
  }

  /** A new owner token: 256 random bits and their signature. */
  async mintOwnerToken(): Promise<string> {
    const nonce = base64url(crypto.getRandomValues(new Uint8Array(32)));
    return `${nonce}.${await this.sign(`owner:${nonce}`)}`;
  }

  /** A read-only link token for one session; `linkId` names it for revocation. */
  async mintShareToken(sessionId: string, linkId: string): Promise<string> {
    return `${SHARE_PREFIX}${sessionId}.${linkId}.${await this.sign(`share:${sessionId}:${linkId}`)}`;
  }

  /** Resolves a presented token; anything not signed by one of our secrets is null. */
  async verifyToken(token: string): Promise<Caller | null> {
    const owner = OWNER_TOKEN_PATTERN.exec(token);
    if (owner) {
      return (await this.verify(`owner:${owner[1]}`, owner[2]!))
        ? { kind: "owner", ownerId: await ownerIdOf(token) }
        : null;
    }
    const share = SHARE_TOKEN_PATTERN.exec(token);
    if (share) {
      const [, sessionId = "", linkId = "", signature = ""] = share;
      return (await this.verify(`share:${sessionId}:${linkId}`, signature))
        ? { kind: "share", sessionId, linkId }
        : null;
    }
    return null;
  }
}

/** A fresh random link id (128 bits). */
export function newLinkId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Resolves the caller of a request from `Authorization: Bearer` (owner token or share
 * link) or the owner cookie. A bearer header that is not a valid token is `invalid` (the
 * route answers 401) rather than falling back to the cookie: a client that sends the wrong
 * credential must learn it, not silently become someone else. A bad cookie is anonymous.
 */
export async function resolveCaller(c: Context, signer: TokenSigner): Promise<Caller> {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    // RFC 7235: the auth scheme is case-insensitive.
    if (!/^bearer /i.test(header)) return { kind: "invalid" };
    return (await signer.verifyToken(header.slice(7).trim())) ?? { kind: "invalid" };
  }
  const cookie = readCookie(c, SECURE_OWNER_COOKIE) ?? readCookie(c, OWNER_COOKIE);
  if (cookie === undefined) return { kind: "anonymous" };
  const caller = await signer.verifyToken(cookie);
  return caller?.kind === "owner" ? caller : { kind: "anonymous" };
}

function readCookie(c: Context, name: string): string | undefined {
  try {
    return getCookie(c, name);
  } catch {
    // A malformed Cookie header is the same as no cookie: the caller is anonymous.
    return undefined;
  }
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether the owner cookie is `Secure` (then named with the `__Host-` prefix). Default: yes,
 * except for plain HTTP to a loopback host (local development); behind a TLS-terminating
 * proxy the request is plain HTTP to a public host name, so it stays secure.
 */
export function cookieIsSecure(c: Context, configured: boolean | undefined): boolean {
  if (configured !== undefined) return configured;
  const url = new URL(c.req.url);
  return url.protocol === "https:" || !LOOPBACK_HOSTS.has(url.hostname);
}

/** Sets the owner cookie for a freshly minted token. */
export function setOwnerCookie(c: Context, token: string, secure: boolean): void {
  setCookie(c, secure ? SECURE_OWNER_COOKIE : OWNER_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    maxAge: 365 * 24 * 3600,
    secure,
  });
}

/**
 * The owner id stored with sessions: a SHA-256 of the token, so stores never hold
 * bearer secrets and a leaked store cannot be replayed as credentials.
 */
export async function ownerIdOf(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(token));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Mints a signed owner token under `secret` (what `POST /api/sessions` sets as the cookie),
 * for backends and tools that hand tokens to their clients: send it as
 * `Authorization: Bearer <token>` to any server configured with the same secret.
 */
export function mintOwnerToken(secret: string): Promise<string> {
  return new TokenSigner([secret]).mintOwnerToken();
}
