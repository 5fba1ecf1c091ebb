import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** Name of the HttpOnly cookie that carries the owner token. */
export const OWNER_COOKIE = "chat_replay_owner";

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/** Reads a well-formed owner token from `Authorization: Bearer` or the cookie; forged shapes are ignored. */
export function readOwnerToken(c: Context): string | null {
  const header = c.req.header("authorization");
  // RFC 7235: the auth scheme is case-insensitive.
  const bearer = header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
  const candidate = bearer ?? getCookieSafe(c);
  return candidate !== undefined && TOKEN_PATTERN.test(candidate) ? candidate : null;
}

function getCookieSafe(c: Context): string | undefined {
  try {
    return getCookie(c, OWNER_COOKIE);
  } catch {
    // A malformed Cookie header is the same as no cookie: the caller is anonymous.
    return undefined;
  }
}

/** Mints a new opaque owner token (256 random bits, base64url) and sets the cookie. */
export function mintOwnerToken(c: Context): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  setCookie(c, OWNER_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    maxAge: 365 * 24 * 3600,
    secure: new URL(c.req.url).protocol === "https:",
  });
  return token;
}

/**
 * The owner id stored with sessions: a SHA-256 of the token, so stores never hold
 * bearer secrets and a leaked store cannot be replayed as credentials.
 */
export async function ownerIdOf(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
