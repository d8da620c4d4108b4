import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TEST_HOST } from "./hosts";

const OPENSSL = "/usr/bin/openssl";
const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** A throwaway certificate authority and one server certificate it signed, in a temporary folder. */
export interface TestTls {
  hostName: string;
  dir: string;
  /** PEM of the CA certificate (the one clients must trust). */
  caCertPath: string;
  /** The system CA bundle followed by the test CA: what SSL_CERT_FILE points at, so other hosts stay trusted. */
  bundlePath: string;
  cert: Buffer;
  key: Buffer;
  /** NODE_EXTRA_CA_CERTS and SSL_CERT_FILE for a process that must trust the server certificate. */
  env: Record<string, string>;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync(OPENSSL, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args.join(" ")} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/**
 * Generates a CA (P-256, valid 2 days) and a server certificate for `hostName` (SAN DNS:hostName,
 * extendedKeyUsage serverAuth) with /usr/bin/openssl. Call `remove()` when done.
 */
export function createTestTls(hostName: string = TEST_HOST): TestTls {
  if (!existsSync(OPENSSL)) throw new Error(`${OPENSSL} is missing: install Debian's openssl package`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=Skillyard e2e throwaway CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${hostName}`], dir);
  writeFileSync(
    path.join(dir, "server.ext"),
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${hostName}\n`,
  );
  openssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext"],
    dir,
  );
  const caCertPath = path.join(dir, "ca.crt");
  const bundlePath = path.join(dir, "bundle.pem");
  const system = existsSync(SYSTEM_BUNDLE) ? readFileSync(SYSTEM_BUNDLE, "utf8") : "";
  writeFileSync(bundlePath, `${system}${system.endsWith("\n") || !system ? "" : "\n"}${readFileSync(caCertPath, "utf8")}`);
  return {
    hostName,
    dir,
    caCertPath,
    bundlePath,
    cert: readFileSync(path.join(dir, "server.crt")),
    key: readFileSync(path.join(dir, "server.key")),
    env: { NODE_EXTRA_CA_CERTS: caCertPath, SSL_CERT_FILE: bundlePath },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
