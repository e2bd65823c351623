// /settings/users: the people of the current organisation for its admins (a partner's admins: each
// customer's too, by switching organisation): invite by e-mail, change a role, deactivate and reactivate,
// unlock a sign-in lockout, see the last sign-in. Every change is audited by the API.
import { useCallback, useState } from 'react';
import { errorMessage } from '../api/client';
import type { Role, User, UserMembership } from '../api/types';
import { usersApi } from '../api/users';
import { clock, timeAgo } from '../lib/format';
import { useResource } from '../lib/useResource';
import { useSession } from '../session';
import { Spinner } from '../ui/bits';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { ROLES } from '../api/types';
import { filterUsers, membershipIn, userStatus, validEmail } from './model';
import { SettingsPage } from './SettingsNav';

function InviteDialog({ organisation, onClose, onInvited }: { organisation: { id: number; name: string }; onClose: () => void; onInvited: (email: string) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('builder');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    if (!validEmail(email)) {
      setError('Enter the e-mail address of the person to invite.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await usersApi.invite(organisation.id, email.trim(), role);
      onInvited(email.trim());
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <FormDialog
      title={`Invite someone to ${organisation.name}`}
      onClose={onClose}
      onSubmit={submit}
      submitLabel="Send invitation"
      busy={busy}
      busyLabel="Inviting"
      error={error}
      testid="invite-dialog"
      submitTestid="invite-submit"
    >
      <label className="field">
        <span>E-mail</span>
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="name@company.com" data-testid="invite-email" autoComplete="off" />
      </label>
      <label className="field">
        <span>Role</span>
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="invite-role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <p className="muted small">They get a link to choose a password (valid for three days). Someone who already has an account gets the role right away.</p>
    </FormDialog>
  );
}

function UserRow({
  user,
  membership,
  isSelf,
  onChanged,
}: {
  user: User;
  membership: UserMembership | undefined;
  isSelf: boolean;
  onChanged: (user: User) => void;
}) {
  const toast = useToast();
  const [busy, setBusy] = useState<string | null>(null);
  const status = userStatus(user, membership);
  const run = async (what: string, call: () => Promise<unknown>, done: (u: User) => User, success: string) => {
    setBusy(what);
    try {
      const answer = await call();
      onChanged(done(answer && typeof answer === 'object' && 'memberships' in answer ? (answer as User) : user));
      toast.success(success);
    } catch (e) {
      toast.error(`Could not ${what}`, errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const withMembership = (changes: Partial<UserMembership>) => (u: User): User => ({
    ...u,
    memberships: u.memberships.map((m) => (m.id === membership?.id ? { ...m, ...changes } : m)),
  });
  return (
    <tr data-testid={`user-row-${user.username}`}>
      <td>
        <div className="strong">{user.display_name}</div>
        <div className="muted small">{user.email || user.username}</div>
      </td>
      <td>
        {membership ? (
          <select
            aria-label={`Role of ${user.display_name}`}
            value={membership.role}
            disabled={busy !== null || !membership.is_active}
            onChange={(e) => {
              const role = e.target.value as Role;
              void run('change the role', () => usersApi.setRole(membership.id, role), withMembership({ role }), `${user.display_name} is now ${role}`);
            }}
            data-testid={`user-role-${user.username}`}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td>
        <span className={`badge user-status user-status-${status.key}`} data-testid={`user-status-${user.username}`}>
          {status.label}
        </span>
      </td>
      <td className="muted small" title={clock(user.last_login)}>
        {user.last_login ? timeAgo(user.last_login) : 'never'}
      </td>
      <td className="user-actions">
        <span className="row gap-s">
          {status.key === 'locked' && (
            <button className="small" disabled={busy !== null} onClick={() => void run('unlock', () => usersApi.unlock(user.id), (u) => u, `${user.display_name} can sign in again`)} data-testid={`user-unlock-${user.username}`}>
              {busy === 'unlock' ? <Spinner label="Unlocking" /> : 'Unlock'}
            </button>
          )}
          {membership && membership.is_active && !isSelf && (
            <button
              className="small danger-ghost"
              disabled={busy !== null}
              onClick={() => void run('deactivate', () => usersApi.deactivate(membership.id), withMembership({ is_active: false }), `${user.display_name} was deactivated`)}
              data-testid={`user-deactivate-${user.username}`}
            >
              {busy === 'deactivate' ? <Spinner label="Deactivating" /> : 'Deactivate'}
            </button>
          )}
          {membership && !membership.is_active && (
            <button
              className="small"
              disabled={busy !== null}
              onClick={() =>
                void run('reactivate', () => usersApi.reactivate(membership.id), (u) => ({ ...withMembership({ is_active: true, deactivated_at: null, deactivated_by: null })(u), can_sign_in: true }), `${user.display_name} was reactivated`)
              }
              data-testid={`user-reactivate-${user.username}`}
            >
              {busy === 'reactivate' ? <Spinner label="Reactivating" /> : 'Reactivate'}
            </button>
          )}
        </span>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const { me, organisation } = useSession();
  const toast = useToast();
  const orgId = organisation?.id;
  const isAdmin = organisation?.role === 'admin';
  const [search, setSearch] = useState('');
  const [inviting, setInviting] = useState(false);
  const people = useResource(orgId && isAdmin ? [orgId] : null, () => usersApi.list(orgId!));
  const closeInvite = useCallback(() => setInviting(false), []);
  const replace = (user: User) => {
    people.update((list) => (list ?? []).map((u) => (u.id === user.id ? user : u)));
    void people.refresh(); // whether they can still sign in at all is the server's answer
  };

  return (
    <SettingsPage testid="settings-users" title="Users" subtitle={organisation?.name ?? ''}>
      {!isAdmin ? (
        <div className="callout conn-callout" role="note" data-testid="users-not-admin">
          Only admins of {organisation?.name} manage its people. Your role here is {organisation?.role}.
        </div>
      ) : (
        <>
          <div className="filters">
            <input type="search" placeholder="Search people…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search people" data-testid="user-search" />
            {people.data && (
              <span className="muted">
                {people.data.length} {people.data.length === 1 ? 'person' : 'people'}
              </span>
            )}
            <span className="spacer" />
            <button className="primary" onClick={() => setInviting(true)} data-testid="invite-user">
              Invite someone
            </button>
          </div>
          <ResourceState
            resource={people}
            what="people"
            testid="users"
            empty={{ title: 'Nobody here yet', body: 'Invite the people who build and run this organisation’s flows.', testid: 'users-empty' }}
          >
            {(list) => (
              <table className="table" data-testid="users-table">
                <thead>
                  <tr>
                    <th>Person</th>
                    <th>Role</th>
                    <th>Status</th>
                    <th>Last sign-in</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {filterUsers(list, search).map((u) => (
                    <UserRow key={u.id} user={u} membership={membershipIn(u, orgId!)} isSelf={u.id === me.id} onChanged={replace} />
                  ))}
                </tbody>
              </table>
            )}
          </ResourceState>
        </>
      )}
      {inviting && organisation && (
        <InviteDialog
          organisation={organisation}
          onClose={closeInvite}
          onInvited={(email) => {
            setInviting(false);
            toast.success(`Invited ${email}`, 'They get an e-mail with a link to choose a password.');
            void people.refresh();
          }}
        />
      )}
    </SettingsPage>
  );
}
