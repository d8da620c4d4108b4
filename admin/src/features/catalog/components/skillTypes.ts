import type { CatalogSkillQuery } from "../../../gql/graphql";

export type SkillDetail = NonNullable<CatalogSkillQuery["skill"]>;
export type Marketplaces = CatalogSkillQuery["marketplaces"];
export type SkillVersionRow = SkillDetail["versions"]["edges"][number]["node"];
export type SkillChannel = SkillDetail["channels"]["edges"][number]["node"];
export type TenantInstalls = SkillDetail["installsByTenant"][number];
export type SkillDependency = NonNullable<SkillDetail["latestVersion"]>["dependencies"]["edges"][number]["node"];
