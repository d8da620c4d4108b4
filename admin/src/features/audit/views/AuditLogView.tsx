import { PageHeader } from "../../../components/PageHeader";

export function AuditLogView() {
  return <PageHeader title="AuditLogView" />;
}
