import { accessSync, appendFileSync, constants, readFileSync } from "node:fs";

/** The host name the harness serves marketplaces under (Claude Code refuses loopback addresses in marketplace URLs). */
export const TEST_HOST = "skills.corp.test";
export const HOSTS_FILE = "/etc/hosts";
const MARKER = "# skillyard-e2e: test host for the Claude Code harness (e2e/support/claude)";

/**
 * Makes `hostName` resolve to 127.0.0.1 by appending one line to /etc/hosts, once: an existing mapping
 * of the name to 127.0.0.1 is left as it is, and no other line is ever changed or removed.
 * Throws when the name maps elsewhere or the file is not writable (CI runs as root; elsewhere add the
 * line by hand: `127.0.0.1 <host> <marker>`).
 */
export function ensureHostsEntry(hostName: string = TEST_HOST, hostsFile: string = HOSTS_FILE): void {
  if (!/^[a-z0-9.-]+$/i.test(hostName)) throw new Error(`not a plain host name: ${JSON.stringify(hostName)}`);
  const text = readFileSync(hostsFile, "utf8");
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [address, ...names] = line.split(/\s+/);
    if (!names.some((name) => name.toLowerCase() === hostName.toLowerCase())) continue;
    if (address === "127.0.0.1") return;
    throw new Error(`${hostsFile} maps ${hostName} to ${address}, not 127.0.0.1: fix that line by hand`);
  }
  try {
    accessSync(hostsFile, constants.W_OK);
  } catch {
    throw new Error(
      `${hostsFile} is not writable by this user, so ${hostName} cannot be mapped to 127.0.0.1. ` +
        `Run the tests as root (CI does), or add this line by hand: 127.0.0.1 ${hostName} ${MARKER}`,
    );
  }
  appendFileSync(hostsFile, `${text.endsWith("\n") || text === "" ? "" : "\n"}127.0.0.1 ${hostName} ${MARKER}\n`);
}
