import type { Session } from "./session";

/** Admins maintain every team's skills; others only their own teams'. */
export function canMaintain(session: Session, teamName: string): boolean {
  return session.isAdmin || session.maintainedTeams.has(teamName);
}
