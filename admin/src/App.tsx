import { Center } from "@mantine/core";
import { lazy } from "react";
import { Navigate, Route, Routes } from "react-router";
import { SignInView } from "./auth/SignInView";
import { useSession, useSessionState, ViewerBoundary } from "./auth/session";
import { ErrorState, LoadingState } from "./components/QueryState";

// Each feature's pages load on first visit, so signing in downloads only the shell.
const AuditLogView = lazy(() => import("./features/audit/views/AuditLogView").then((m) => ({ default: m.AuditLogView })));
const SkillSearchView = lazy(() => import("./features/catalog/views/SkillSearchView").then((m) => ({ default: m.SkillSearchView })));
const SkillView = lazy(() => import("./features/catalog/views/SkillView").then((m) => ({ default: m.SkillView })));
const DistributionView = lazy(() => import("./features/distribution/views/DistributionView").then((m) => ({ default: m.DistributionView })));
const EvalRunView = lazy(() => import("./features/evals/views/EvalRunView").then((m) => ({ default: m.EvalRunView })));
const ReviewDetailView = lazy(() => import("./features/reviews/views/ReviewDetailView").then((m) => ({ default: m.ReviewDetailView })));
const ReviewQueueView = lazy(() => import("./features/reviews/views/ReviewQueueView").then((m) => ({ default: m.ReviewQueueView })));
const TestRunView = lazy(() => import("./features/runs/views/TestRunView").then((m) => ({ default: m.TestRunView })));
const PermissionCatalogueView = lazy(() => import("./features/settings/views/PermissionCatalogueView").then((m) => ({ default: m.PermissionCatalogueView })));
const UsageView = lazy(() => import("./features/usage/views/UsageView").then((m) => ({ default: m.UsageView })));
const ApiTokensView = lazy(() => import("./features/tokens/views/ApiTokensView").then((m) => ({ default: m.ApiTokensView })));
const DirectoryGroupsView = lazy(() => import("./features/directory/views/DirectoryGroupsView").then((m) => ({ default: m.DirectoryGroupsView })));
const UsersAndTokensView = lazy(() => import("./features/settings/views/UsersAndTokensView").then((m) => ({ default: m.UsersAndTokensView })));
import { AppLayout } from "./layout/AppLayout";
import { NotFoundView } from "./layout/NotFoundView";

function Home() {
  const session = useSession();
  return <Navigate to={session.isReviewer ? "/reviews" : "/skills"} replace />;
}

export function App() {
  const { credential, checking } = useSessionState();
  if (checking) {
    return (
      <Center mih="100vh" p="md">
        <LoadingState label="Checking your session…" />
      </Center>
    );
  }
  if (!credential) return <SignInView />;
  return (
    <ViewerBoundary
      fallback={({ error }) => (
        <Center mih="100vh" p="md">
          {error ? <ErrorState error={new Error(error)} /> : <LoadingState label="Signing in…" />}
        </Center>
      )}
    >
      <Routes>
        <Route element={<AppLayout />}>
          <Route index element={<Home />} />
          <Route path="reviews" element={<ReviewQueueView />} />
          <Route path="reviews/:versionId" element={<ReviewDetailView />} />
          <Route path="runs/:runId" element={<TestRunView />} />
          <Route path="evals/:runId" element={<EvalRunView />} />
          <Route path="skills" element={<SkillSearchView />} />
          <Route path="skills/:name" element={<SkillView />} />
          <Route path="distribution" element={<DistributionView />} />
          <Route path="usage" element={<UsageView />} />
          <Route path="audit" element={<AuditLogView />} />
          <Route path="permissions" element={<PermissionCatalogueView />} />
          <Route path="tokens" element={<UsersAndTokensView />} />
          <Route path="settings/api-tokens" element={<ApiTokensView />} />
          <Route path="settings/directory-groups" element={<DirectoryGroupsView />} />
          <Route path="*" element={<NotFoundView />} />
        </Route>
      </Routes>
    </ViewerBoundary>
  );
}
