import { PageHeader } from "../../../components/PageHeader";

export function UsersAndTokensView() {
  return <PageHeader title="UsersAndTokensView" />;
}
