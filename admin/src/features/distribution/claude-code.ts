// What Claude Code and the CLI are told, as the console shows it.
import type { VersionStatus } from "../../components/badges";

/** Where an MDM tool puts the generated file on Linux machines. */
export const MANAGED_SETTINGS_PATH = "/etc/claude-code/managed-settings.json";
export const MANAGED_SETTINGS_FILE = "managed-settings.json";

/** `claude plugin install csv-stats@skillyard-stable` */
export function pluginInstallCommand(skill: string, marketplace: string): string {
  return `claude plugin install ${skill}@${marketplace}`;
}

/**
 * The CLI's way to the same file as the settings preview. Channel and team names are lowercase
 * letters, digits and hyphens, so they need no quoting.
 */
export function managedSettingsCommand(channel: string | null, team: string | null): string {
  const flags = [...(channel ? ["--channel", channel] : []), ...(team ? ["--team", team] : [])];
  return ["skillyard settings managed", ...flags, ">", MANAGED_SETTINGS_FILE].join(" ");
}

/** Statuses a catalog lists: what a channel must point at to be installable from its marketplace. */
export function isInstallable(status: VersionStatus): boolean {
  return status === "PUBLISHED" || status === "DEPRECATED";
}
