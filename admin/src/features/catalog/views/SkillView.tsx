import { PageHeader } from "../../../components/PageHeader";

export function SkillView() {
  return <PageHeader title="SkillView" />;
}
