import { teamNameProblem } from "@skillyard/core/src/input-rules";
import type { GlobalRole, GroupMappingFieldsFragment, SetGroupMappingInput, TeamRole } from "../../gql/graphql";

/** What a mapping grants: a team membership with a role in it, or a global role. */
export type MappingTarget = "team" | "role";

export interface MappingDraft {
  group: string;
  target: MappingTarget;
  team: string | null;
  teamRole: TeamRole;
  role: GlobalRole;
}

export const emptyMappingDraft = (): MappingDraft => ({ group: "", target: "team", team: null, teamRole: "MEMBER", role: "REVIEWER" });

export const TEAM_ROLES: { value: TeamRole; label: string }[] = [
  { value: "MEMBER", label: "Member" },
  { value: "MAINTAINER", label: "Maintainer" },
];

export const MAPPED_ROLES: { value: GlobalRole; label: string }[] = [
  { value: "REVIEWER", label: "Reviewer" },
  { value: "ADMIN", label: "Admin" },
];

/** What is wrong with each field before the round trip; the server checks again (and whether the team exists). */
export function mappingProblems(draft: MappingDraft): { group: string | null; team: string | null } {
  const group = draft.group.trim();
  return {
    group: group === "" ? "Name the directory group, exactly as your identity provider sends it." : null,
    team: draft.target !== "team" ? null : draft.team === null ? "Pick the team its members join." : teamNameProblem(draft.team),
  };
}

/** The setGroupMapping input: either team and team role, or a global role, never both. */
export function mappingInput(draft: MappingDraft): SetGroupMappingInput {
  const group = draft.group.trim();
  return draft.target === "team" && draft.team !== null ? { group, team: draft.team, teamRole: draft.teamRole } : { group, role: draft.role };
}

/** "team data as maintainer" or "the reviewer role", for lists and confirmations. */
export function grantWords(mapping: Pick<GroupMappingFieldsFragment, "team" | "teamRole" | "role">): string {
  if (mapping.team) return `team ${mapping.team.name} as ${(mapping.teamRole ?? "MEMBER").toLowerCase()}`;
  if (mapping.role) return `the ${mapping.role.toLowerCase()} role`;
  return "nothing";
}
