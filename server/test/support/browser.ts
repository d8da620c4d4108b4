/**
 * What a browser is to a sign-in flow, without a browser: fetch with a cookie jar per host, redirects
 * followed by hand (so a test sees each hop), and HTML forms read and submitted. Only for pages
 * served on 127.0.0.1 in tests (Skillyard, the test OpenID provider).
 */
export interface Hop {
  status: number;
  url: string;
  /** The Location header of a redirect, resolved against `url`. */
  location: string | null;
  body: string;
  headers: Headers;
}

export interface HtmlForm {
  action: string;
  method: string;
  fields: Record<string, string>;
}

export class Browser {
  /** host → cookie name → value (paths and attributes are ignored: every test host is its own). */
  private readonly jar = new Map<string, Map<string, string>>();

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    cookies.set(name, value);
    this.jar.set(host, cookies);
  }

  deleteCookie(url: string, name: string): void {
    this.jar.get(new URL(url).host)?.delete(name);
  }

  /** One request, no redirect followed; Set-Cookie headers go into the jar. */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Hop> {
    const host = new URL(url).host;
    const cookies = [...(this.jar.get(host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: { ...(cookies ? { cookie: cookies } : {}), ...init.headers },
      body: init.body,
    });
    for (const line of res.headers.getSetCookie()) this.store(host, line);
    const location = res.headers.get("location");
    return { status: res.status, url, location: location ? new URL(location, url).toString() : null, body: await res.text(), headers: res.headers };
  }

  /**
   * Follows redirects from `url` while they stay on hosts `within` says yes to, and answers the last
   * hop: a page, or the redirect that leaves (not followed).
   */
  async follow(url: string, within: (url: URL) => boolean, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Hop> {
    let hop = await this.request(url, init);
    for (let i = 0; i < 20 && hop.location && within(new URL(hop.location)); i++) hop = await this.request(hop.location);
    return hop;
  }

  /** Submits `form` (its fields overridden by `values`) as a browser would, following redirects as `follow` does. */
  submit(form: HtmlForm, values: Record<string, string>, within: (url: URL) => boolean): Promise<Hop> {
    const body = new URLSearchParams({ ...form.fields, ...values }).toString();
    return this.follow(form.action, within, { method: form.method, headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  }

  private store(host: string, line: string): void {
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const expired = attributes.some((a) => /^max-age=(0|-\d+)$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()));
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    if (expired || value === "") cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(host, cookies);
  }
}

/** The forms of an HTML page (action resolved against `pageUrl`), with their hidden and text inputs' values. */
export function formsOf(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = match[1];
    const action = /\baction="([^"]*)"/i.exec(attrs)?.[1] ?? pageUrl;
    const method = (/\bmethod="([^"]*)"/i.exec(attrs)?.[1] ?? "get").toUpperCase();
    const fields: Record<string, string> = {};
    for (const input of match[2].matchAll(/<input\b([^>]*)>/gi)) {
      const name = /\bname="([^"]*)"/i.exec(input[1])?.[1];
      if (name) fields[name] = decodeEntities(/\bvalue="([^"]*)"/i.exec(input[1])?.[1] ?? "");
    }
    forms.push({ action: new URL(decodeEntities(action), pageUrl).toString(), method, fields });
  }
  return forms;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
