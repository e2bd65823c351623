// Share one flow or connection with a person or a role beyond their defaults, and see who has access
// and why (their role, a share to them, a share to their role). Admins share and take shares back;
// everyone else sees the list. The API keeps shares inside the tenant (and its partner's people).
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { sharingApi, type Shareable } from '../api/sharing';
import { ROLES, type Access, type Role, type Share, type SharePermission } from '../api/types';
import { useResource } from '../lib/useResource';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import '../settings/settings.css';


export function shareLabel(s: Share): string {
  return s.user !== null ? (s.username ?? `user ${s.user}`) : `every ${s.role} of ${s.organisation_name ?? 'the organisation'}`;
}

export function ShareDialog({ kind, id, name, canShare, onClose }: { kind: Shareable; id: number; name: string; canShare: boolean; onClose: () => void }) {
  const access = useResource([kind, id], () => sharingApi.access(kind, id));
  const [target, setTarget] = useState<'user' | 'role'>('user');
  const [user, setUser] = useState<number | ''>('');
  const [role, setRole] = useState<Role>('viewer');
  const [perms, setPerms] = useState<SharePermission[]>(['view']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const data: Access | null = access.data;

  const submit = async () => {
    if (target === 'user' && user === '') {
      setError('Choose whom to share with.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = target === 'user' ? { user: Number(user), permissions: perms } : { role, permissions: perms };
      const answer = await sharingApi.share(kind, id, body);
      access.update(() => answer);
    } catch (e) {
      setError(errorMessage(e));
      void access.refresh();
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (s: Share) => {
    setError(null);
    try {
      const answer = await sharingApi.unshare(kind, id, s.user !== null ? { user: s.user } : { role: s.role ?? undefined, organisation: s.organisation });
      access.update(() => answer);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const toggle = (p: SharePermission) => setPerms((now) => (now.includes(p) ? now.filter((x) => x !== p) : [...now, p]));

  return (
    <FormDialog
      title={`Share “${name}”`}
      onClose={onClose}
      onSubmit={submit}
      submitLabel="Share"
      busy={busy}
      busyLabel="Sharing"
      error={error}
      disabled={!canShare || !data}
      testid="share-dialog"
      submitTestid="share-submit"
      wide
    >
      <ResourceState resource={access} what="who has access" testid="share-access" rows={3}>
        {(a) => (
          <>
            <h4>Who has access</h4>
            <table className="share-people" data-testid="share-people">
              <tbody>
                {a.people.map((p) => (
                  <tr key={p.user} data-testid={`share-person-${p.username}`}>
                    <td className="strong">{p.display_name}</td>
                    <td>{p.permissions.join(', ')}</td>
                    <td className="muted small">{p.via.join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {a.shares.length > 0 && (
              <>
                <h4>Shared beyond their roles</h4>
                <table className="share-people" data-testid="share-list">
                  <tbody>
                    {a.shares.map((s) => (
                      <tr key={`${s.user ?? ''}-${s.role ?? ''}-${s.organisation ?? ''}`} data-testid={`share-${s.username ?? s.role}`}>
                        <td className="strong">{shareLabel(s)}</td>
                        <td>{s.permissions.join(', ')}</td>
                        <td>
                          {canShare && (
                            <button type="button" className="small danger-ghost" onClick={() => void revoke(s)} data-testid={`unshare-${s.username ?? s.role}`}>
                              Remove
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
            {canShare ? (
              <>
                <h4>Share with</h4>
                <div className="row gap">
                  <select value={target} onChange={(e) => setTarget(e.target.value as 'user' | 'role')} aria-label="Share with a person or a role" data-testid="share-target">
                    <option value="user">a person</option>
                    <option value="role">everyone with a role</option>
                  </select>
                  {target === 'user' ? (
                    <select value={user} onChange={(e) => setUser(e.target.value ? Number(e.target.value) : '')} aria-label="Person" data-testid="share-user">
                      <option value="">Choose…</option>
                      {a.candidates.map((c) => (
                        <option key={c.user} value={c.user}>
                          {c.display_name} ({c.username})
                        </option>
                      ))}
                    </select>
                  ) : (
                    <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Role" data-testid="share-role">
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </div>
                <div className="share-perms" role="group" aria-label="What they may do">
                  {a.shareable.map((p) => (
                    <label key={p}>
                      <input type="checkbox" checked={perms.includes(p) || p === 'view'} disabled={p === 'view'} onChange={() => toggle(p)} data-testid={`share-perm-${p}`} />
                      {p}
                    </label>
                  ))}
                </div>
                <p className="muted small">Shares add to a role’s rights, never take any away. Seeing it (view) always comes with the others.</p>
              </>
            ) : (
              <p className="muted small">Only admins of this organisation share it further.</p>
            )}
          </>
        )}
      </ResourceState>
    </FormDialog>
  );
}
