// /partner/customers: the partner's customers with their health (flows, runs of the last 24 hours),
// "New customer", and per customer its members (change role, remove) and invitations by e-mail.
import { useCallback, useState } from 'react';
import { partnerApi } from '../api/partner';
import type { CustomerOverview, Membership, Organisation, Role } from '../api/types';
import { useResource } from '../lib/useResource';
import { Skeleton, Spinner } from '../ui/bits';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { clock, timeAgo } from '../lib/format';
import { ROLES } from '../api/types';
import { fieldErrors, HealthBadge, message, PartnerPage } from './shared';

function NewCustomerDialog({ partner, onClose, onCreated }: { partner: number; onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    if (!name.trim()) {
      setError('Enter the customer’s name.');
      return;
    }
    setBusy(true);
    try {
      const org = await partnerApi.createCustomer(partner, name.trim());
      onCreated(org.name);
    } catch (e) {
      setError(fieldErrors(e).name ?? message(e));
      setBusy(false);
    }
  };
  return (
    <FormDialog
      title="New customer"
      onClose={onClose}
      onSubmit={submit}
      submitLabel="Create customer"
      busy={busy}
      busyLabel="Creating"
      error={error}
      testid="customer-create-dialog"
      submitTestid="customer-create-submit"
    >
      <label className="field">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="customer-create-name" aria-invalid={error ? true : undefined} />
      </label>
    </FormDialog>
  );
}

function Members({ customer, canAdmin }: { customer: { id: number; name: string }; canAdmin: boolean }) {
  const toast = useToast();
  const listed = useResource([customer.id], async () => (await partnerApi.members(customer.id)).sort((a, b) => a.username.localeCompare(b.username)));
  const setMembers = listed.update;
  const [busy, setBusy] = useState<number | 'invite' | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('builder');
  const [inviteError, setInviteError] = useState<string | null>(null);

  const changeRole = async (m: Membership, r: Role) => {
    setBusy(m.id);
    try {
      const saved = await partnerApi.setRole(customer.id, m.username, r);
      setMembers((list) => (list ?? []).map((x) => (x.id === m.id ? { ...x, role: saved.role } : x)));
      toast.success(`${m.username} is now ${r} of ${customer.name}`);
    } catch (e) {
      toast.error('Could not change the role', message(e));
    } finally {
      setBusy(null);
    }
  };
  const remove = async (m: Membership) => {
    setBusy(m.id);
    try {
      await partnerApi.removeMember(m.id);
      setMembers((list) => (list ?? []).filter((x) => x.id !== m.id));
      toast.success(`Removed ${m.username} from ${customer.name}`);
    } catch (e) {
      toast.error('Could not remove the member', message(e));
    } finally {
      setBusy(null);
    }
  };
  const invite = async () => {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
      setInviteError('Enter an e-mail address.');
      return;
    }
    setBusy('invite');
    setInviteError(null);
    try {
      await partnerApi.invite(customer.id, email.trim(), role);
      toast.success(`Invited ${email.trim()}`, 'They get an e-mail with a link to set their password.');
      setEmail('');
      void listed.refresh();
    } catch (e) {
      setInviteError(fieldErrors(e).email ?? message(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="partner-members" data-testid={`customer-members-${customer.id}`}>
      {listed.data === null && listed.error !== null ? (
        <div className="callout callout-error" role="alert">
          Members could not be loaded: {message(listed.error)} <button className="small" onClick={() => void listed.reload()}>Try again</button>
        </div>
      ) : listed.data === null ? (
        <Skeleton rows={2} />
      ) : listed.data.length === 0 ? (
        <p className="muted">No members yet. Invite someone below.</p>
      ) : (
        <table className="table partner-members-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>Since</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {listed.data.map((m) => (
              <tr key={m.id} data-testid={`member-row-${m.id}`}>
                <td className="strong">{m.username}</td>
                <td>
                  {canAdmin ? (
                    <select
                      value={m.role}
                      onChange={(e) => void changeRole(m, e.target.value as Role)}
                      disabled={busy === m.id}
                      aria-label={`Role of ${m.username}`}
                      data-testid={`member-role-${m.id}`}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span className="pill">{m.role}</span>
                  )}
                </td>
                <td className="muted small" title={clock(m.created_at)}>
                  {timeAgo(m.created_at)}
                </td>
                <td className="partner-actions">
                  {canAdmin && (
                    <button className="small danger-ghost" onClick={() => void remove(m)} disabled={busy === m.id} aria-label={`Remove ${m.username}`} data-testid={`member-remove-${m.id}`}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canAdmin && (
        <form
          className="row gap partner-invite"
          onSubmit={(e) => {
            e.preventDefault();
            void invite();
          }}
        >
          <label className="grow">
            <span className="sr-only">E-mail of the person to invite to {customer.name}</span>
            <input type="email" placeholder="name@customer.com" value={email} onChange={(e) => setEmail(e.target.value)} data-testid={`invite-email-${customer.id}`} aria-invalid={inviteError ? true : undefined} />
          </label>
          <label>
            <span className="sr-only">Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid={`invite-role-${customer.id}`}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy === 'invite'} data-testid={`invite-submit-${customer.id}`}>
            {busy === 'invite' ? <Spinner label="Inviting" /> : 'Invite'}
          </button>
        </form>
      )}
      {inviteError && (
        <p className="conn-err" role="alert">
          {inviteError}
        </p>
      )}
    </div>
  );
}

function CustomersBody({ partner }: { partner: Organisation }) {
  const toast = useToast();
  const isAdmin = partner.role === 'admin';
  const overview = useResource([partner.id], () => partnerApi.overview(partner.id));
  const rows: CustomerOverview[] | null = overview.data;
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const [search, setSearch] = useState('');

  const toggle = (id: number) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const closeCreate = useCallback(() => setCreating(false), []);
  const q = search.trim().toLowerCase();
  const shown = (rows ?? []).filter((r) => !q || r.organisation.name.toLowerCase().includes(q));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Customers</h1>
          <p className="muted">{partner.name} · health over the last 24 hours</p>
        </div>
        {isAdmin && (
          <button className="primary" onClick={() => setCreating(true)} data-testid="create-customer">
            New customer
          </button>
        )}
      </div>
      {!isAdmin && (
        <div className="callout conn-callout" role="note">
          Your role ({partner.role}) sees the customers you are a member of. Partner admins see and manage all of them.
        </div>
      )}
      {rows && rows.length > 0 && (
        <div className="filters">
          <input type="search" placeholder="Search customers…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search customers" data-testid="customer-search" />
          <span className="muted">
            {shown.length} of {rows.length} customer{rows.length === 1 ? '' : 's'}
          </span>
        </div>
      )}
      <ResourceState
        resource={overview}
        what="customers"
        testid="customers"
        describe={message}
        empty={{
          title: 'No customers yet',
          body: 'Each customer is an organisation of its own with its members, connections and flows. Clone your templates into them.',
          action: isAdmin ? <button className="primary" onClick={() => setCreating(true)}>Create your first customer</button> : undefined,
          testid: 'customers-empty',
        }}
      >
        {() => (
            <table className="table" data-testid="customers-table">
              <thead>
                <tr>
                  <th>Customer</th>
                  <th>Health</th>
                  <th>Flows</th>
                  <th>Runs (24 h)</th>
                  <th>Last run</th>
                  <th>
                    <span className="sr-only">Members</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => {
                  const id = r.organisation.id;
                  const expanded = open.has(id);
                  return [
                    <tr key={id} data-testid={`customer-row-${id}`}>
                      <td className="strong">{r.organisation.name}</td>
                      <td>
                        <HealthBadge health={r.health} />
                      </td>
                      <td>
                        {r.flows} <span className="muted small">({r.published_flows} published)</span>
                      </td>
                      <td className="partner-runs">
                        <span title="Total">{r.runs.total}</span>
                        {r.runs.total > 0 && (
                          <span className="muted small">
                            {' '}
                            <span className="partner-ok">{r.runs.succeeded} ok</span> · <span className={r.runs.failed ? 'partner-fail' : ''}>{r.runs.failed} failed</span> ·{' '}
                            {r.runs.running} running
                          </span>
                        )}
                      </td>
                      <td className="muted small">
                        <span title={clock(r.last_run_at)}>{r.last_run_at ? timeAgo(r.last_run_at) : 'never'}</span>
                        {r.last_failure_at && <span className="conn-block partner-fail" title={clock(r.last_failure_at)}>failed {timeAgo(r.last_failure_at)}</span>}
                      </td>
                      <td className="partner-actions">
                        <button className="small" aria-expanded={expanded} onClick={() => toggle(id)} data-testid={`customer-members-toggle-${id}`}>
                          {expanded ? 'Hide members' : 'Members'}
                        </button>
                      </td>
                    </tr>,
                    expanded && (
                      <tr key={`${id}-members`} className="partner-subrow">
                        <td colSpan={6}>
                          <Members customer={{ id, name: r.organisation.name }} canAdmin={isAdmin} />
                        </td>
                      </tr>
                    ),
                  ];
                })}
              </tbody>
            </table>
        )}
      </ResourceState>
      {creating && (
        <NewCustomerDialog
          partner={partner.id}
          onClose={closeCreate}
          onCreated={(name) => {
            setCreating(false);
            toast.success(`Created “${name}”`, 'Invite its people from the Members list.');
            void overview.reload();
          }}
        />
      )}
    </>
  );
}

export function CustomersPage() {
  return <PartnerPage testid="partner-customers">{(partner) => <CustomersBody partner={partner} />}</PartnerPage>;
}
