import { Center } from "@mantine/core";
import { Navigate, Route, Routes } from "react-router";
import { SignInView } from "./auth/SignInView";
import { useSession, useSessionState, ViewerBoundary } from "./auth/session";
import { ErrorState, LoadingState } from "./components/QueryState";
import { AuditLogView } from "./features/audit/views/AuditLogView";
import { SkillSearchView } from "./features/catalog/views/SkillSearchView";
import { SkillView } from "./features/catalog/views/SkillView";
import { ReviewDetailView } from "./features/reviews/views/ReviewDetailView";
import { ReviewQueueView } from "./features/reviews/views/ReviewQueueView";
import { TestRunView } from "./features/runs/views/TestRunView";
import { PermissionCatalogueView } from "./features/settings/views/PermissionCatalogueView";
import { UsersAndTokensView } from "./features/settings/views/UsersAndTokensView";
import { AppLayout } from "./layout/AppLayout";
import { NotFoundView } from "./layout/NotFoundView";

function Home() {
  const session = useSession();
  return <Navigate to={session.isReviewer ? "/reviews" : "/skills"} replace />;
}

export function App() {
  const { token } = useSessionState();
  if (!token) return <SignInView />;
  return (
    <ViewerBoundary
      fallback={({ error }) => <Center mih="100vh" p="md">{error ? <ErrorState error={new Error(error)} /> : <LoadingState label="Signing in…" />}</Center>}
    >
      <Routes>
        <Route element={<AppLayout />}>
          <Route index element={<Home />} />
          <Route path="reviews" element={<ReviewQueueView />} />
          <Route path="reviews/:versionId" element={<ReviewDetailView />} />
          <Route path="runs/:runId" element={<TestRunView />} />
          <Route path="skills" element={<SkillSearchView />} />
          <Route path="skills/:name" element={<SkillView />} />
          <Route path="audit" element={<AuditLogView />} />
          <Route path="permissions" element={<PermissionCatalogueView />} />
          <Route path="tokens" element={<UsersAndTokensView />} />
          <Route path="*" element={<NotFoundView />} />
        </Route>
      </Routes>
    </ViewerBoundary>
  );
}
