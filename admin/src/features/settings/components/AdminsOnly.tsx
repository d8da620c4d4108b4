import { Alert } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { PageHeader } from "../../../components/PageHeader";

/** What a non-admin sees on an admin page they reached by URL: the reason, not a crash or a blank page. */
export function AdminsOnly({ title, children }: { title: string; children: ReactNode }) {
  return (
    <>
      <PageHeader title={title} />
      <Alert color="gray" icon={<IconLock size={18} />} title="Admins only" data-testid="admins-only">
        {children}
      </Alert>
    </>
  );
}
