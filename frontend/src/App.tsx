import { NavLink, Navigate, Route, Routes, Link } from 'react-router';
import { readConfig } from './config';
import { useSession } from './session';
import { FlowListPage } from './pages/FlowListPage';
import { RunsPage } from './runs/RunsPage';
import { EmptyState, Spinner } from './ui/bits';
import { lazy, Suspense, useEffect, useState } from 'react';
import { reviewsApi } from './api/reviews';
import { partnerOrgFor } from './partner/model';

// The editor (React Flow, rjsf, CodeMirror, dagre) loads on demand; the lists stay light.
const EditorPage = lazy(() => import('./editor/EditorPage').then((m) => ({ default: m.EditorPage })));
const RunDetailPage = lazy(() => import('./runs/RunDetailPage').then((m) => ({ default: m.RunDetailPage })));
const ConnectionsPage = lazy(() => import('./connections/ConnectionsPage').then((m) => ({ default: m.ConnectionsPage })));
const TriggersPage = lazy(() => import('./triggers/TriggersPage').then((m) => ({ default: m.TriggersPage })));
const ReviewsPage = lazy(() => import('./reviews/ReviewsPage').then((m) => ({ default: m.ReviewsPage })));
const AuditPage = lazy(() => import('./audit/AuditPage').then((m) => ({ default: m.AuditPage })));
const ApprovalsPage = lazy(() => import('./approvals/ApprovalsPage').then((m) => ({ default: m.ApprovalsPage })));
const UsersPage = lazy(() => import('./settings/UsersPage').then((m) => ({ default: m.UsersPage })));
const GovernancePage = lazy(() => import('./settings/GovernancePage').then((m) => ({ default: m.GovernancePage })));
const SsoPage = lazy(() => import('./settings/SsoPage').then((m) => ({ default: m.SsoPage })));
// The partner area (customers, templates, rollout, branding): one chunk, loaded when opened.
const partner = () => import('./partner/pages');
const CustomersPage = lazy(() => partner().then((m) => ({ default: m.CustomersPage })));
const TemplatesPage = lazy(() => partner().then((m) => ({ default: m.TemplatesPage })));
const TemplateDetailPage = lazy(() => partner().then((m) => ({ default: m.TemplateDetailPage })));
const RolloutPage = lazy(() => partner().then((m) => ({ default: m.RolloutPage })));
const BrandingPage = lazy(() => partner().then((m) => ({ default: m.BrandingPage })));
// Operational intelligence (dashboards, SLAs, KPIs, reconciliation, trace): one chunk with its charts.
const AlertsPage = lazy(() => import('./alerts/AlertsPage').then((m) => ({ default: m.AlertsPage })));
const MatchReviewsPage = lazy(() => import('./matches/MatchReviewsPage').then((m) => ({ default: m.MatchReviewsPage })));
const InboxPage = lazy(() => import('./inbox/InboxPage').then((m) => ({ default: m.InboxPage })));
const insights = () => import('./insights/pages');
const DashboardPage = lazy(() => insights().then((m) => ({ default: m.DashboardPage })));
const SlaPage = lazy(() => insights().then((m) => ({ default: m.SlaPage })));
const KpisPage = lazy(() => insights().then((m) => ({ default: m.KpisPage })));
const ReconciliationPage = lazy(() => insights().then((m) => ({ default: m.ReconciliationPage })));
const TracePage = lazy(() => insights().then((m) => ({ default: m.TracePage })));

/** How many reviews wait for this person plus how many of their versions were decided unread. */
function ReviewIndicator() {
  const { organisation } = useSession();
  const [count, setCount] = useState(0);
  useEffect(() => {
    if (!organisation) return;
    let live = true;
    const load = () =>
      Promise.all([reviewsApi.list(organisation.id, { waiting: true }), reviewsApi.list(organisation.id, { unseen: true })])
        .then(([w, u]) => live && setCount(w.count + u.count))
        .catch(() => undefined);
    void load();
    const timer = window.setInterval(() => void load(), 30_000);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [organisation]);
  if (!count) return null;
  return (
    <span className="nav-count" data-testid="review-indicator" title="Reviews waiting for you and decisions on your versions">
      {count}
    </span>
  );
}

function TopBar() {
  const { me, organisation, setOrganisation, logout } = useSession();
  const { branding } = readConfig();
  return (
    <header className="topbar">
      <Link to="/" className="brand" data-testid="brand">
        {/* A logo is a wordmark: showing the product name beside it printed the name twice. */}
        {branding.logo_url ? (
          <img src={branding.logo_url} alt={branding.product_name} className="brand-logo" />
        ) : (
          <>
            <span className="brand-mark" aria-hidden />
            <span>{branding.product_name}</span>
          </>
        )}
      </Link>
      <nav className="topnav">
        <NavLink to="/" end data-testid="nav-flows">
          Flows
        </NavLink>
        <NavLink to="/runs" data-testid="nav-runs">
          Runs
        </NavLink>
        <NavLink to="/inbox" data-testid="nav-inbox">
          Inbox
        </NavLink>
        <NavLink to="/triggers" data-testid="nav-triggers">
          Triggers
        </NavLink>
        <NavLink to="/approvals" data-testid="nav-approvals">
          Approvals
        </NavLink>
        <NavLink to="/matches" data-testid="nav-matches">
          Matches
        </NavLink>
        <NavLink to="/reviews" data-testid="nav-reviews">
          Reviews
          <ReviewIndicator />
        </NavLink>
        <NavLink to="/connections" data-testid="nav-connections">
          Connections
        </NavLink>
        <NavLink to="/insights" data-testid="nav-insights">
          Insights
        </NavLink>
        {organisation?.role === 'admin' && (
          <NavLink to="/settings/users" data-testid="nav-settings">
            Settings
          </NavLink>
        )}
        {organisation?.actions.includes('audit') && (
          <NavLink to="/audit" data-testid="nav-audit">
            Audit
          </NavLink>
        )}
        {partnerOrgFor(me, organisation) && (
          <NavLink to="/partner" data-testid="nav-partner">
            Partner
          </NavLink>
        )}
      </nav>
      <div className="topbar-right">
        <label className="org-switch">
          <span className="sr-only">Organisation</span>
          <select
            data-testid="org-switcher"
            value={organisation?.id ?? ''}
            onChange={(e) => setOrganisation(Number(e.target.value))}
          >
            {me.organisations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name} · {o.role}
              </option>
            ))}
          </select>
        </label>
        <span className="user" title={me.email}>
          {me.display_name || me.username}
        </span>
        <button className="ghost" data-testid="logout" onClick={() => void logout()}>
          Log out
        </button>
      </div>
    </header>
  );
}

export function App() {
  const { organisation } = useSession();
  return (
    <div className="app">
      <TopBar />
      <main className="app-main">
        {!organisation ? (
          <EmptyState title="No organisation yet" body="Ask an administrator to add you to an organisation." />
        ) : (
          <Suspense fallback={<div className="center-page"><Spinner label="Loading" /></div>}>
          <Routes>
            <Route path="/" element={<FlowListPage />} />
            <Route path="/flows/:id" element={<EditorPage />} />
            <Route path="/runs" element={<RunsPage />} />
            <Route path="/runs/:id" element={<RunDetailPage />} />
            <Route path="/inbox" element={<InboxPage />} />
            <Route path="/alerts" element={<AlertsPage />} />
            <Route path="/triggers" element={<TriggersPage />} />
            <Route path="/approvals" element={<ApprovalsPage />} />
            <Route path="/matches" element={<MatchReviewsPage />} />
            <Route path="/reviews" element={<ReviewsPage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/connections" element={<ConnectionsPage />} />
            <Route path="/settings" element={<Navigate to="/settings/users" replace />} />
            <Route path="/settings/users" element={<UsersPage />} />
            <Route path="/settings/sso" element={<SsoPage />} />
            <Route path="/settings/governance" element={<GovernancePage />} />
            <Route path="/partner" element={<Navigate to="/partner/customers" replace />} />
            <Route path="/partner/customers" element={<CustomersPage />} />
            <Route path="/partner/templates" element={<TemplatesPage />} />
            <Route path="/partner/templates/:id" element={<TemplateDetailPage />} />
            <Route path="/partner/templates/:id/rollout" element={<RolloutPage />} />
            <Route path="/partner/branding" element={<BrandingPage />} />
            <Route path="/insights" element={<Navigate to="/insights/dashboards" replace />} />
            <Route path="/insights/dashboards" element={<DashboardPage />} />
            <Route path="/insights/slas" element={<SlaPage />} />
            <Route path="/insights/kpis" element={<KpisPage />} />
            <Route path="/insights/reconciliation" element={<ReconciliationPage />} />
            <Route path="/insights/trace" element={<TracePage />} />
            <Route path="*" element={<EmptyState title="Page not found" action={<Link to="/">Back to flows</Link>} />} />
          </Routes>
          </Suspense>
        )}
      </main>
    </div>
  );
}
