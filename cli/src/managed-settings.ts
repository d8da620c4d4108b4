/**
 * Claude Code managed settings as Skillyard generates them (Query.managedSettings, the same JSON as
 * GET /managed-settings.json), and what `seed-dir` reads from them: each marketplace declared in
 * `extraKnownMarketplaces` with the plugins `enabledPlugins` turns on from it. The answer is checked
 * like any registry answer: names become folder names, URLs are fetched.
 */
import { type Fail, isHttpUrl, record } from "./checks";

/** What Claude Code allows in each part of a plugin id (`plugin@marketplace`); such a part is also a safe folder name. */
const PLUGIN_ID_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isPluginIdPart(name: string): boolean {
  return PLUGIN_ID_PART.test(name);
}

export interface DeclaredMarketplace {
  name: string;
  /** The declaration's `source` exactly as the settings hold it: a seed directory must repeat it as is, `headers` included. */
  source: Record<string, unknown>;
  /** Where the catalog is fetched from. */
  url: string;
  /** Sent with the catalog request and with archive requests to the same origin, as Claude Code does. */
  headers: Record<string, string>;
  /** Names of the plugins enabled from this marketplace, sorted. */
  enabled: string[];
}

/** The marketplaces the settings declare, in their order, each with its enabled plugins. */
export function declaredMarketplaces(settings: Record<string, unknown>, fail: Fail): DeclaredMarketplace[] {
  const declarations = record(settings.extraKnownMarketplaces, "extraKnownMarketplaces", fail);
  const marketplaces = Object.entries(declarations).map(([name, value]): DeclaredMarketplace => {
    const at = `extraKnownMarketplaces[${JSON.stringify(name)}]`;
    if (!isPluginIdPart(name)) throw fail(`${at} is not a marketplace name`);
    const source = record(record(value, at, fail).source, `${at}.source`, fail);
    if (source.source !== "url") throw fail(`${at}.source.source is ${JSON.stringify(source.source)}, not "url"`);
    const url = source.url;
    if (typeof url !== "string" || !isHttpUrl(url)) throw fail(`${at}.source.url is not an http(s) URL`);
    const headers: Record<string, string> = {};
    if (source.headers !== undefined) {
      for (const [header, text] of Object.entries(record(source.headers, `${at}.source.headers`, fail))) {
        if (typeof text !== "string") throw fail(`${at}.source.headers[${JSON.stringify(header)}] is not a string`);
        headers[header] = text;
      }
    }
    return { name, source, url, headers, enabled: [] };
  });
  const byName = new Map(marketplaces.map((m) => [m.name, m]));
  for (const [id, on] of Object.entries(record(settings.enabledPlugins, "enabledPlugins", fail))) {
    if (on !== true) continue;
    const at = id.lastIndexOf("@");
    const plugin = id.slice(0, at);
    const marketplace = byName.get(id.slice(at + 1));
    if (at < 0 || !isPluginIdPart(plugin)) throw fail(`enabledPlugins has ${JSON.stringify(id)}, which is not <plugin>@<marketplace>`);
    if (!marketplace) throw fail(`enabledPlugins has ${JSON.stringify(id)} from a marketplace the settings do not declare`);
    marketplace.enabled.push(plugin);
  }
  for (const m of marketplaces) m.enabled.sort();
  return marketplaces;
}
