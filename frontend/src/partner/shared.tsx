// Bits shared by the partner pages: the partner the user works in, its customers, the sub-navigation,
// error messages and the health badge.
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { ApiError, errorMessage } from '../api/client';
import { partnerApi } from '../api/partner';
import type { Health, Organisation, OrganisationInfo } from '../api/types';
import { useResource } from '../lib/useResource';
import { useSession } from '../session';
import { EmptyState } from '../ui/bits';
import { partnerOrgFor } from './model';
import './partner.css';

export function usePartner(): Organisation | null {
  const { me, organisation } = useSession();
  return partnerOrgFor(me, organisation);
}

/** The partner pages' name for `errorMessage` (src/api/client.ts): one line for any API error. */
export const message = (e: unknown): string => errorMessage(e);

export function fieldErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  return Object.fromEntries(Object.entries(e.body.errors ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : String(v)]));
}

const NO_CUSTOMERS: OrganisationInfo[] = [];

/** The partner's customers (organisations whose parent is the partner), by name. */
export function useCustomers(partner: number | undefined, reload = 0): { customers: OrganisationInfo[] | null; error: string | null } {
  const listed = useResource(partner ? [partner, reload] : null, async () =>
    (await partnerApi.organisations()).filter((o) => o.parent === partner).sort((a, b) => a.name.localeCompare(b.name)),
  );
  return { customers: listed.data ?? (listed.error ? NO_CUSTOMERS : null), error: listed.error ? message(listed.error) : null };
}

export function PartnerNav() {
  const partner = usePartner();
  return (
    <nav className="partner-tabs" aria-label="Partner area">
      <NavLink to="/partner/customers" data-testid="partner-tab-customers">
        Customers
      </NavLink>
      <NavLink to="/partner/templates" data-testid="partner-tab-templates">
        Templates
      </NavLink>
      {partner?.role === 'admin' && (
        <NavLink to="/partner/branding" data-testid="partner-tab-branding">
          Branding
        </NavLink>
      )}
    </nav>
  );
}

/** Renders children with the partner, or an explanation when the user works in no partner. */
export function PartnerPage({ testid, children }: { testid: string; children: (partner: Organisation) => ReactNode }) {
  const partner = usePartner();
  if (!partner) {
    return (
      <div className="page" data-testid={testid}>
        <EmptyState
          title="Not a partner organisation"
          body="The partner area is for admins and builders of a partner. Switch to your partner organisation in the top bar."
          testid="partner-unavailable"
        />
      </div>
    );
  }
  return (
    <div className="page" data-testid={testid}>
      <PartnerNav />
      {children(partner)}
    </div>
  );
}

const HEALTH_LABEL: Record<Health, string> = { healthy: 'Healthy', degraded: 'Degraded', failing: 'Failing', idle: 'Idle' };

export function HealthBadge({ health }: { health: Health }) {
  return (
    <span className={`badge health-${health}`} data-testid="health-badge" data-health={health}>
      {HEALTH_LABEL[health] ?? health}
    </span>
  );
}
