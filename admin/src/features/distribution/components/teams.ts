import { canMaintain } from "../../../auth/permissions";
import type { Session } from "../../../auth/session";
import type { DistributionRequirementFragment } from "../../../gql/graphql";
import type { TeamGroup } from "./TeamPicker";

/**
 * Who decides what a team's machines get (required skills, managed settings): admins for every team
 * and for everyone (a null team), a team's maintainers for their team. The server applies the same rule.
 */
export function canManageDistribution(session: Session, team: string | null): boolean {
  return team === null ? session.isAdmin : canMaintain(session, team);
}

/** Teams to offer in a picker: the viewer's own (maintained first), then others that have required skills. */
export function knownTeams(session: Session, requirements: readonly DistributionRequirementFragment[]): TeamGroup[] {
  const mine = session.viewer.teams.edges.map((edge) => edge.node.team.name);
  const maintained = mine.filter((team) => session.maintainedTeams.has(team)).sort();
  const member = mine.filter((team) => !session.maintainedTeams.has(team)).sort();
  const others = [...new Set(requirements.flatMap((r) => (r.team && !mine.includes(r.team.name) ? [r.team.name] : [])))].sort();
  return [
    { label: "Teams you maintain", teams: maintained },
    { label: "Your other teams", teams: member },
    { label: "Teams with required skills", teams: others },
  ].filter((group) => group.teams.length > 0);
}
