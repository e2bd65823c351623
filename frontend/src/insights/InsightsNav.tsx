// The insight pages' tab bar and the organisation scope they share: a customer sees its own figures, a
// partner all its customers'.
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../session';
import { partnerApi } from '../api/partner';
import { useResource } from '../lib/useResource';

const TABS = [
  { to: '/insights/dashboards', label: 'Dashboards', testid: 'insights-tab-dashboards' },
  { to: '/insights/slas', label: 'SLAs', testid: 'insights-tab-slas' },
  { to: '/insights/kpis', label: 'KPIs', testid: 'insights-tab-kpis' },
  { to: '/insights/reconciliation', label: 'Reconciliation', testid: 'insights-tab-reconciliation' },
  { to: '/insights/trace', label: 'Trace', testid: 'insights-tab-trace' },
];

/** The current organisation, whether it is a partner, and the list filter (null: all visible). */
export function useScope() {
  const { organisation } = useSession();
  const isPartner = organisation?.kind === 'partner';
  return { organisation, isPartner, listScope: isPartner ? null : (organisation?.id ?? null) };
}

export function InsightsPage({ title, subtitle, actions, children, testid }: {
  title: string;
  subtitle: string;
  actions?: ReactNode;
  children: ReactNode;
  testid: string;
}) {
  return (
    <div className="page ins-page" data-testid={testid}>
      <nav className="ins-tabs" aria-label="Insights">
        {TABS.map((t) => (
          <NavLink key={t.to} to={t.to} data-testid={t.testid} className={({ isActive }) => (isActive ? 'on' : '')}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      <header className="page-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">{subtitle}</p>
        </div>
        {actions && <div className="ins-actions">{actions}</div>}
      </header>
      {children}
    </div>
  );
}

export function Tile({ label, value, hint, tone, testid }: { label: string; value: ReactNode; hint?: string; tone?: 'ok' | 'bad' | 'warn'; testid?: string }) {
  return (
    <div className={`ins-tile${tone ? ` ins-tone-${tone}` : ''}`} data-testid={testid}>
      <div className="ins-tile-label">{label}</div>
      <div className="ins-tile-value">{value}</div>
      {hint && <div className="ins-tile-hint">{hint}</div>}
    </div>
  );
}

export function Card({ title, children, testid, wide }: { title: ReactNode; children: ReactNode; testid?: string; wide?: boolean }) {
  return (
    <section className={`ins-card${wide ? ' ins-wide' : ''}`} data-testid={testid}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** The organisations a form may target: the current customer, or a partner's customers. */
export function useTargets(): { targets: { id: number; name: string }[]; names: Map<number, string> } {
  const { organisation, isPartner } = useScope();
  const orgs = useResource(organisation ? [organisation.id] : null, () => partnerApi.organisations());
  const all = orgs.data ?? [];
  const targets = !organisation
    ? []
    : isPartner
      ? all.filter((o) => o.parent === organisation.id).map((o) => ({ id: o.id, name: o.name }))
      : [{ id: organisation.id, name: organisation.name }];
  return { targets, names: new Map(all.map((o) => [o.id, o.name])) };
}

export function OrgSelect({ value, onChange, targets, testid }: { value: number; onChange: (id: number) => void; targets: { id: number; name: string }[]; testid: string }) {
  if (targets.length <= 1) return null;
  return (
    <label className="field">
      <span>Customer</span>
      <select value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testid}>
        {targets.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
      </select>
    </label>
  );
}
