// /settings/sso: the current organisation's OpenID Connect single sign-on, for its admins (a partner's
// admins set it for each customer by switching to it). The client secret is write-only.
import { useState } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { ssoApi } from '../api/sso';
import type { Role, SsoSettings } from '../api/types';
import { useResource } from '../lib/useResource';
import { useSession } from '../session';
import { Spinner } from '../ui/bits';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { ROLES } from '../api/types';
import { ssoForm, ssoPayload, type SsoForm } from './model';
import { SettingsPage } from './SettingsNav';

function SsoEditor({ organisation, saved, onSaved }: { organisation: number; saved: SsoSettings | null; onSaved: (s: SsoSettings | null) => void }) {
  const toast = useToast();
  const [form, setForm] = useState<SsoForm>(() => ssoForm(saved));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<'save' | 'remove' | null>(null);
  const set = <K extends keyof SsoForm>(key: K, value: SsoForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  const save = async () => {
    const { body, problems: found } = ssoPayload(form);
    setProblems(found);
    if (!body) return;
    setBusy('save');
    try {
      const answer = await ssoApi.save(organisation, body);
      onSaved(answer);
      toast.success('Single sign-on saved');
    } catch (e) {
      if (e instanceof ApiError && e.body.errors) {
        setProblems(Object.fromEntries(Object.entries(e.body.errors).map(([k, v]) => [k, Array.isArray(v) ? v.join(' ') : String(v)])));
      }
      toast.error('Could not save single sign-on', errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const remove = async () => {
    setBusy('remove');
    try {
      await ssoApi.remove(organisation);
      onSaved(null);
      toast.success('Single sign-on removed', 'Everyone signs in with a password again.');
    } catch (e) {
      toast.error('Could not remove single sign-on', errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const error = (key: string) => problems[key] && <span className="field-error" role="alert">{problems[key]}</span>;

  return (
    <form
      className="sso-form"
      data-testid="sso-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {saved?.callback_url && (
        <div className="sso-callback">
          Register this redirect URI at your provider: <code data-testid="sso-callback-url">{saved.callback_url}</code>
        </div>
      )}
      <label className="field">
        <span>Issuer</span>
        <input value={form.issuer} onChange={(e) => set('issuer', e.target.value)} placeholder="https://login.example.com/realms/acme" data-testid="sso-issuer" />
        {error('issuer')}
      </label>
      <label className="field">
        <span>Client id</span>
        <input value={form.client_id} onChange={(e) => set('client_id', e.target.value)} data-testid="sso-client-id" />
        {error('client_id')}
      </label>
      <label className="field">
        <span>Client secret {saved?.client_secret_set ? '(stored; type to replace)' : ''}</span>
        <input type="password" autoComplete="new-password" value={form.client_secret} onChange={(e) => set('client_secret', e.target.value)} data-testid="sso-client-secret" />
        {error('client_secret')}
      </label>
      <label className="field">
        <span>Claim with the person’s groups or roles</span>
        <input value={form.role_claim} onChange={(e) => set('role_claim', e.target.value)} placeholder="groups" data-testid="sso-role-claim" />
      </label>
      <label className="field">
        <span>Claim value = role (one per line; the strongest match wins)</span>
        <textarea value={form.mapping} onChange={(e) => set('mapping', e.target.value)} placeholder={'integration-admins = admin\nintegration-builders = builder'} data-testid="sso-mapping" />
        {error('role_mapping')}
      </label>
      <label className="field">
        <span>Role when nothing matches</span>
        <select value={form.default_role} onChange={(e) => set('default_role', e.target.value as Role | '')} data-testid="sso-default-role">
          <option value="">none: refuse the sign-in</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>E-mail domains (the sign-in page finds the organisation by them; others are refused)</span>
        <input value={form.domains} onChange={(e) => set('domains', e.target.value)} placeholder="acme.com, acme.co.uk" data-testid="sso-domains" />
        {error('email_domains')}
      </label>
      <label className="field">
        <span>Show the button on this host (optional)</span>
        <input value={form.login_host} onChange={(e) => set('login_host', e.target.value)} placeholder="acme.integrations.example.com" data-testid="sso-login-host" />
        {error('login_host')}
      </label>
      <label className="field">
        <span>Button label (optional)</span>
        <input value={form.button_label} onChange={(e) => set('button_label', e.target.value)} placeholder="Sign in with Acme" data-testid="sso-button-label" />
      </label>
      <label className="check">
        <input type="checkbox" checked={form.create_users} onChange={(e) => set('create_users', e.target.checked)} data-testid="sso-create-users" />
        Create people on their first sign-in
      </label>
      <label className="check">
        <input type="checkbox" checked={form.sso_only} onChange={(e) => set('sso_only', e.target.checked)} data-testid="sso-only" />
        Single sign-on only: refuse password sign-in for this organisation’s people
      </label>
      <label className="check">
        <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} data-testid="sso-enabled" />
        Enabled
      </label>
      <div className="row gap">
        <button type="submit" className="primary" disabled={busy !== null} data-testid="sso-save">
          {busy === 'save' ? <Spinner label="Saving" /> : 'Save'}
        </button>
        {saved && (
          <button type="button" className="danger-ghost" disabled={busy !== null} onClick={() => void remove()} data-testid="sso-remove">
            {busy === 'remove' ? <Spinner label="Removing" /> : 'Remove single sign-on'}
          </button>
        )}
      </div>
    </form>
  );
}

export function SsoPage() {
  const { organisation } = useSession();
  const orgId = organisation?.id;
  const isAdmin = organisation?.role === 'admin';
  const settings = useResource(orgId && isAdmin ? [orgId] : null, () => ssoApi.get(orgId!).then((s) => ({ s })));
  return (
    <SettingsPage testid="settings-sso" title="Single sign-on" subtitle={organisation?.name ?? ''}>
      {!isAdmin ? (
        <div className="callout conn-callout" role="note">
          Only admins of {organisation?.name} set up its single sign-on.
        </div>
      ) : (
        <ResourceState resource={settings} what="single sign-on" testid="sso">
          {({ s }) => (
            // Keyed by what is saved: after a save the form shows the server's answer (normalised domains).
            <SsoEditor key={JSON.stringify(s)} organisation={orgId!} saved={s} onSaved={(next) => settings.update(() => ({ s: next }))} />
          )}
        </ResourceState>
      )}
    </SettingsPage>
  );
}
