import { PageHeader } from "../../../components/PageHeader";

export function ReviewDetailView() {
  return <PageHeader title="ReviewDetailView" />;
}
