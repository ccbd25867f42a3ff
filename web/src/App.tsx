/**
 * The workbench's shell: the sign-in page until a key is accepted, then the navigation (what the
 * key's scopes allow) and one page per route, each loaded when first opened.
 */
import { lazy, Suspense } from "react";
import { Navigate, NavLink, Route, Routes } from "react-router";
import { LiveStatus } from "./components/LiveStatus";
import { ServiceBanner } from "./components/ServiceBanner";
import { SignInPage } from "./pages/SignInPage";
import { useSession } from "./session";

const ModelPage = lazy(() => import("./pages/ModelPage"));
const LeadsPage = lazy(() => import("./pages/LeadsPage"));
const LeadPage = lazy(() => import("./pages/LeadPage"));
const FunnelPage = lazy(() => import("./pages/FunnelPage"));
const AdminPage = lazy(() => import("./pages/AdminPage"));

export function App() {
  const session = useSession();
  if (!session.key) {
    return (
      <>
        <ServiceBanner />
        <SignInPage />
      </>
    );
  }
  const { viewer } = session;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Qualify</span>
        <nav aria-label="Workbench">
          <NavLink to="/model">Model</NavLink>
          <NavLink to="/leads">Leads</NavLink>
          <NavLink to="/funnel">Funnel</NavLink>
          {session.can("ADMIN") && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        {session.can("READ") && <LiveStatus apiKey={session.key} />}
        <span className="who" aria-label="Signed in as">
          {viewer ? `${viewer.name} · ${viewer.effectiveScopes.join(", ").toLowerCase()}` : "…"}
        </span>
        <button type="button" onClick={() => session.signOut()}>
          Sign out
        </button>
      </header>
      <ServiceBanner />
      <main>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Routes>
            <Route path="/" element={<Navigate to={session.can("READ") ? "/leads" : "/model"} replace />} />
            <Route path="/model" element={<ModelPage />} />
            <Route path="/leads" element={<LeadsPage />} />
            <Route path="/leads/:id" element={<LeadPage />} />
            <Route path="/funnel" element={<FunnelPage />} />
            <Route path="/admin" element={<AdminPage />} />
            <Route path="*" element={<p>Nothing here. Use the navigation above.</p>} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}
