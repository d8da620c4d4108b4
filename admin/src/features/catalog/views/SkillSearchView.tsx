import { PageHeader } from "../../../components/PageHeader";

export function SkillSearchView() {
  return <PageHeader title="SkillSearchView" />;
}
