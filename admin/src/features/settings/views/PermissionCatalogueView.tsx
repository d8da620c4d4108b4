import { PageHeader } from "../../../components/PageHeader";

export function PermissionCatalogueView() {
  return <PageHeader title="PermissionCatalogueView" />;
}
