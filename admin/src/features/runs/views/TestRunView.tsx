import { PageHeader } from "../../../components/PageHeader";

export function TestRunView() {
  return <PageHeader title="TestRunView" />;
}
