import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packDirectory } from "@skillyard/core";
import type { Runtime } from "../../src/composition-root";
import { Membership, TeamRole } from "../../src/identity/membership.entity";
import { Team } from "../../src/identity/team.entity";
import { GlobalRole, User, UserKind } from "../../src/identity/user.entity";

export interface SeededUser {
  user: User;
  token: string;
}

/** Builds a package tarball from an in-memory file map (text or raw bytes) through the real packer. */
export async function makePackage(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "skillyard-pkg-"));
  try {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    }
    return await packDirectory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A skill.yaml for tests; override any field. */
export function skillYaml(fields: { name: string; version: string; [key: string]: unknown }): string {
  const manifest = { description: `The ${fields.name} skill.`, author: "tests", category: "testing", ...fields };
  return `${Object.entries(manifest)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join("\n")}\n`;
}

/** Seed builders: `await seed.team("data").member("alice")` → a user with a token in team data. */
export class Seed {
  constructor(private readonly runtime: Runtime) {}

  /** A person with their first token, got the way people get one: an invitation (here from no admin) they redeem. */
  async user(handle: string, roles: GlobalRole[] = []): Promise<SeededUser> {
    const { identity } = this.runtime.services;
    const user = await this.runtime.dataSource.getRepository(User).save({ handle, email: `${handle}@example.test`, roles });
    const { code } = await this.runtime.dataSource.transaction((em) => identity.invite(em, user, null));
    const { secret } = await identity.redeemInvitation({ code, tokenName: "tests" });
    return { user, token: secret };
  }

  /** A service account with no token yet (an admin creates its tokens with createApiToken). */
  serviceAccount(handle: string): Promise<User> {
    return this.runtime.dataSource.getRepository(User).save({ handle, email: `${handle}@example.test`, roles: [], kind: UserKind.SERVICE });
  }

  team(name: string): TeamSeed {
    return new TeamSeed(this, this.runtime, name);
  }
}

export class TeamSeed {
  private created: Promise<Team> | null = null;

  constructor(
    private readonly seed: Seed,
    private readonly runtime: Runtime,
    readonly name: string,
  ) {}

  entity(): Promise<Team> {
    this.created ??= this.runtime.dataSource.getRepository(Team).save({ name: this.name });
    return this.created;
  }

  /** Creates a user (with a token) who is a member of this team. */
  async member(handle: string, role: TeamRole = TeamRole.MEMBER, roles: GlobalRole[] = []): Promise<SeededUser> {
    const team = await this.entity();
    const seeded = await this.seed.user(handle, roles);
    await this.runtime.dataSource.getRepository(Membership).save({ teamId: team.id, userId: seeded.user.id, role });
    return seeded;
  }
}
