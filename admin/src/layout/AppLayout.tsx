import { AppShell, Badge, Burger, Group, Loader, NavLink, Stack, Text, UnstyledButton } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconChartBar,
  IconChecklist,
  IconHistory,
  IconKey,
  IconLogout,
  IconSearch,
  IconShieldLock,
  IconTruckDelivery,
  IconUsers,
  IconUsersGroup,
} from "@tabler/icons-react";
import { Suspense, useState, type ReactNode } from "react";
import { Link, Outlet, useLocation } from "react-router";
import { useSession, type Session } from "../auth/session";
import { directoryGroupsPath } from "../features/directory/directory-url";
import { apiTokensPath } from "../features/tokens/tokens-url";
import { LoadingState } from "../components/QueryState";
import { describeError } from "../lib/errors";

interface NavItem {
  to: string;
  label: string;
  icon: ReactNode;
  testId: string;
  visible: (session: Session) => boolean;
}

// Navigation is shaped by role: reviewers see the queue, usage and the audit log, admins also the settings.
const NAV: NavItem[] = [
  { to: "/reviews", label: "Review queue", icon: <IconChecklist size={18} />, testId: "nav-reviews", visible: (s) => s.isReviewer },
  { to: "/skills", label: "Catalog", icon: <IconSearch size={18} />, testId: "nav-skills", visible: () => true },
  { to: "/distribution", label: "Distribution", icon: <IconTruckDelivery size={18} />, testId: "nav-distribution", visible: () => true },
  { to: "/usage", label: "Usage", icon: <IconChartBar size={18} />, testId: "nav-usage", visible: (s) => s.isReviewer },
  { to: "/audit", label: "Audit log", icon: <IconHistory size={18} />, testId: "nav-audit", visible: (s) => s.isReviewer },
  { to: "/permissions", label: "Permissions", icon: <IconShieldLock size={18} />, testId: "nav-permissions", visible: (s) => s.isAdmin },
  { to: "/tokens", label: "Users & tokens", icon: <IconUsers size={18} />, testId: "nav-tokens", visible: (s) => s.isAdmin },
  { to: apiTokensPath(), label: "API tokens", icon: <IconKey size={18} />, testId: "nav-api-tokens", visible: () => true },
  { to: directoryGroupsPath(), label: "Directory groups", icon: <IconUsersGroup size={18} />, testId: "nav-directory-groups", visible: (s) => s.isAdmin },
];

/**
 * Signs out: a token tab forgets its token; a session is ended on the server first (and then at the
 * identity provider). When the server cannot be reached the tab stays signed in, as its cookie
 * does, and says so.
 */
function SignOutButton({ session }: { session: Session }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signOut = async () => {
    setPending(true);
    setError(null);
    try {
      await session.signOut();
    } catch (failure) {
      setError(describeError(failure).message);
      setPending(false);
    }
  };
  return (
    <Stack gap={4} mt="auto">
      {error && (
        <Text size="xs" c="red" role="alert" px="xs" data-testid="sign-out-error">
          Not signed out: {error}
        </Text>
      )}
      <UnstyledButton onClick={() => void signOut()} disabled={pending} data-testid="sign-out" p="xs">
        <Group gap="xs">
          {pending ? <Loader size={18} /> : <IconLogout size={18} />}
          <Text size="sm">Sign out</Text>
        </Group>
      </UnstyledButton>
    </Stack>
  );
}

export function AppLayout() {
  const session = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" data-testid="nav-toggle" />
            <Text fw={700} component={Link} to="/" c="inherit" td="none">
              Skillyard{" "}
              <Text span c="dimmed" fw={400}>
                console
              </Text>
            </Text>
          </Group>
          <Group gap="xs" wrap="nowrap">
            <Text size="sm" data-testid="viewer-handle" truncate maw={160}>
              {session.viewer.handle}
            </Text>
            {session.viewer.roles.map((role) => (
              <Badge key={role} size="sm" variant="outline" visibleFrom="sm">
                {role.toLowerCase()}
              </Badge>
            ))}
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        <Stack gap={2} h="100%">
          {NAV.filter((item) => item.visible(session)).map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              leftSection={item.icon}
              active={location.pathname.startsWith(item.to)}
              onClick={close}
              data-testid={item.testId}
            />
          ))}
          <SignOutButton session={session} />
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<LoadingState />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
