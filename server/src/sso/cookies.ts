/** The console session's cookie (HttpOnly, SameSite=Lax, Path=/). */
export const SESSION_COOKIE = "skillyard_session";
/** Binds a sign-in at the provider to the browser that started it (Path=/auth, minutes long). */
export const SIGN_IN_COOKIE = "skillyard_sign_in";

/** The value of cookie `name` in a Cookie header; undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value === "" ? undefined : value;
  }
  return undefined;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
}

/** A Set-Cookie value for a secret cookie: always HttpOnly and SameSite=Lax. */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  return [`${name}=${value}`, `Path=${options.path}`, `Max-Age=${options.maxAge}`, "HttpOnly", "SameSite=Lax", ...(options.secure ? ["Secure"] : [])].join(
    "; ",
  );
}

/**
 * Cookies are Secure unless PUBLIC_URL is plain http on a loopback address (a laptop, the tests): a
 * browser would not send a Secure cookie back over http, and anywhere else http would expose it.
 */
export function secureCookies(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return !(url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}
