import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packDirectory } from "@skillyard/core";
import type { Stack } from "./stack";
import { waitFor } from "./wait";

export interface SeededUser {
  handle: string;
  token: string;
}

type GlobalRole = "ADMIN" | "REVIEWER";

/**
 * Creates a person with the given global roles and gives them a token the only way a person gets
 * one: an admin (the bootstrap admin unless `invitedBy` names another) invites them, and they redeem
 * the code themselves, without a token. The token is named "e2e".
 */
export async function createUser(stack: Stack, handle: string, roles: GlobalRole[] = [], options: { invitedBy?: SeededUser } = {}): Promise<SeededUser> {
  await stack.gql(`mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { handle, email: `${handle}@example.test`, roles, kind: "PERSON" },
  });
  const code = await createInvitation(stack, handle, options.invitedBy?.token ?? stack.adminToken);
  const redeemed = await stack.gql<{ redeemInvitation: { token: string } }>(
    `mutation ($input: RedeemInvitationInput!) { redeemInvitation(input: $input) { token } }`,
    { input: { code, tokenName: "e2e" } },
    null,
  );
  return { handle, token: redeemed.redeemInvitation.token };
}

/** Creates a person who has no token yet (for the page to invite). */
export async function createUninvitedPerson(stack: Stack, handle: string, roles: GlobalRole[] = []): Promise<void> {
  await stack.gql(`mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { handle, email: `${handle}@example.test`, roles, kind: "PERSON" },
  });
}

/** An admin's invitation for the person: answers the one-time code. */
export async function createInvitation(stack: Stack, handle: string, adminToken = stack.adminToken): Promise<string> {
  const invited = await stack.gql<{ createInvitation: { code: string } }>(
    `mutation ($input: CreateInvitationInput!) { createInvitation(input: $input) { code } }`,
    { input: { user: handle } },
    adminToken,
  );
  return invited.createInvitation.code;
}

/** A further token the user creates for themselves with the token they hold (origin SELF). */
export async function createOwnToken(stack: Stack, user: SeededUser, name: string): Promise<SeededUser> {
  const created = await stack.gql<{ createApiToken: { token: string } }>(
    `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }`,
    { input: { name } },
    user.token,
  );
  return { handle: user.handle, token: created.createApiToken.token };
}

/** Creates a team and adds members: `{ alice: "MAINTAINER", bob: "MEMBER" }`. */
export async function createTeam(stack: Stack, name: string, members: Record<string, "MEMBER" | "MAINTAINER">): Promise<void> {
  await stack.gql(`mutation ($input: CreateTeamInput!) { createTeam(input: $input) { id } }`, { input: { name } });
  for (const [user, role] of Object.entries(members)) {
    await stack.gql(`mutation ($input: AddTeamMemberInput!) { addTeamMember(input: $input) { role } }`, { input: { team: name, user, role } });
  }
}

export interface SkillOptions {
  description?: string;
  category?: string;
  tags?: string[];
  permissions?: string[];
  dependencies?: Record<string, string>;
  readme?: string;
  /** Python test functions' source; defaults to three quick passing tests. */
  tests?: string;
  extraFiles?: Record<string, string>;
}

/** The files of a Python skill package (skill.yaml, src/, tests/, README.md). */
export function pythonSkill(name: string, version: string, options: SkillOptions = {}): Record<string, string> {
  const manifest: Record<string, unknown> = {
    name,
    version,
    description: options.description ?? `The ${name} skill.`,
    author: "e2e",
    category: options.category ?? "data",
    tags: options.tags ?? [],
    license: "Apache-2.0",
    requirements: { runtime: "python3.11", memory_mb: 128, timeout_seconds: 60 },
    permissions: options.permissions ?? [],
    ...(options.dependencies ? { dependencies: options.dependencies } : {}),
  };
  const tests = options.tests ?? [0, 1, 2].map((i) => `def test_case_${i}():\n    print("case ${i} ok")\n    assert True\n`).join("\n");
  return {
    "skill.yaml": `${Object.entries(manifest)
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join("\n")}\n`,
    "README.md": options.readme ?? `# ${name}\n\nVersion ${version} of the ${name} skill.\n`,
    "src/main.py": "def run():\n    return 42\n",
    "tests/test_skill.py": tests,
    ...options.extraFiles,
  };
}

/**
 * The files of an instruction-only skill: skill.yaml without a runtime, a README and an instructions
 * file, no tests. It publishes without a sandbox run (its test gate passes at once).
 */
export function instructionSkill(
  name: string,
  version: string,
  options: Pick<SkillOptions, "description" | "category" | "tags" | "permissions"> = {},
): Record<string, string> {
  const manifest: Record<string, unknown> = {
    name,
    version,
    description: options.description ?? `The ${name} skill.`,
    author: "e2e",
    category: options.category ?? "data",
    tags: options.tags ?? [],
    license: "Apache-2.0",
    permissions: options.permissions ?? [],
  };
  return {
    "skill.yaml": `${Object.entries(manifest)
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join("\n")}\n`,
    "README.md": `# ${name}\n\nVersion ${version}: instructions only, nothing to run.\n`,
    "instructions.md": `Use ${name} when the task calls for it.\n`,
  };
}

export interface PublishedVersion {
  id: string;
  version: string;
  status: string;
}

/** Writes `files` into the folder `dir` (made if missing): a skill folder for the CLI, or for packing. */
export function writeSkillFolder(dir: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
}

/** The package tarball of `files`, packed with the real packer (what POST /packages takes). */
export async function packFiles(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-e2e-pkg-"));
  try {
    writeSkillFolder(dir, files);
    return await packDirectory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Packs `files` with the real packer, uploads them and publishes; the version then runs its tests. */
export async function publish(stack: Stack, token: string, files: Record<string, string>, team?: string): Promise<PublishedVersion> {
  const tarball = await packFiles(files);
  const upload = await fetch(`${stack.url}/packages`, {
    method: "POST",
    headers: { "content-type": "application/gzip", authorization: `Bearer ${token}` },
    body: new Uint8Array(tarball),
  });
  const uploaded = (await upload.json()) as { sha256?: string };
  if (upload.status !== 201 || !uploaded.sha256) throw new Error(`upload failed (${upload.status}): ${JSON.stringify(uploaded)}`);
  const published = await stack.gql<{ publishSkillVersion: { version: PublishedVersion } }>(
    `mutation ($input: PublishSkillVersionInput!) { publishSkillVersion(input: $input) { version { id version status } } }`,
    { input: { packageSha256: uploaded.sha256, ...(team ? { team } : {}) } },
    token,
  );
  return published.publishSkillVersion.version;
}

/** Approves a version under review as the token's user. */
export async function approveVersion(stack: Stack, token: string, versionId: string, comment: string): Promise<void> {
  await stack.gql(`mutation ($input: ApproveVersionInput!) { approveVersion(input: $input) { published } }`, { input: { versionId, comment } }, token);
}

/** Waits until the version reaches one of `statuses` (tests run in a real sandbox: allow time). */
export async function waitForVersionStatus(stack: Stack, versionId: string, statuses: string[], timeoutMs = 120_000): Promise<string> {
  return waitFor(
    async () => {
      const data = await stack.gql<{ node: { status: string; statusReason: string | null } | null }>(
        `query ($id: ID!) { node(id: $id) { ... on SkillVersion { status statusReason } } }`,
        { id: versionId },
      );
      const status = data.node?.status;
      if (status && !statuses.includes(status) && ["REJECTED", "YANKED"].includes(status)) {
        throw new Error(`version ${versionId} ended ${status} (${data.node?.statusReason ?? "no reason"}), expected ${statuses.join("/")}`);
      }
      return status && statuses.includes(status) ? status : null;
    },
    `version ${versionId} to reach ${statuses.join("/")}`,
    timeoutMs,
    250,
  );
}

/** The id of the version's newest test run, once it has one. */
export async function latestTestRunId(stack: Stack, versionId: string): Promise<string> {
  return waitFor(
    async () => {
      const data = await stack.gql<{ node: { latestTestRun: { id: string } | null } | null }>(
        `query ($id: ID!) { node(id: $id) { ... on SkillVersion { latestTestRun { id } } } }`,
        { id: versionId },
      );
      return data.node?.latestTestRun?.id ?? null;
    },
    `a test run for version ${versionId}`,
    60_000,
    100,
  );
}
