import type { GlobalRole } from "../../../gql/graphql";

export const GLOBAL_ROLES: { role: GlobalRole; label: string; description: string }[] = [
  { role: "ADMIN", label: "Admin", description: "Manages users, tokens and the permission catalogue; maintains every team's skills." },
  { role: "REVIEWER", label: "Reviewer", description: "Approves or rejects versions waiting for review; reads the audit log." },
];
