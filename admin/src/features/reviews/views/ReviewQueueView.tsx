import { PageHeader } from "../../../components/PageHeader";

export function ReviewQueueView() {
  return <PageHeader title="ReviewQueueView" />;
}
