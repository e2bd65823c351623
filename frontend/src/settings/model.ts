// Pure helpers of the settings pages (users, single sign-on): what a person's row says, and the SSO
// form's values to and from the API. Tested without React (model.test.ts).
import { ROLES, type Role, type SsoSettings, type SsoSettingsBody, type User, type UserMembership } from '../api/types';


/** The person's membership in the organisation the page is about (the API lists the reader's only). */
export function membershipIn(user: User, organisation: number): UserMembership | undefined {
  return user.memberships.find((m) => m.organisation === organisation);
}

export type UserStatus = { key: 'locked' | 'deactivated' | 'invited' | 'active' | 'disabled'; label: string };

/** One word (and the detail a tooltip shows) for a person's row, the most pressing first. */
export function userStatus(user: User, membership: UserMembership | undefined, now = Date.now()): UserStatus {
  if (user.locked_until && Date.parse(user.locked_until) > now) {
    const until = new Date(user.locked_until);
    const hh = String(until.getHours()).padStart(2, '0');
    const mm = String(until.getMinutes()).padStart(2, '0');
    return { key: 'locked', label: `Locked until ${hh}:${mm}` };
  }
  if (membership && !membership.is_active) return { key: 'deactivated', label: 'Deactivated' };
  if (!user.can_sign_in) return { key: 'disabled', label: 'Cannot sign in' };
  if (user.invited) return { key: 'invited', label: 'Invited' };
  return { key: 'active', label: 'Active' };
}

/** Rows by name, the search applied to name, username and e-mail. */
export function filterUsers(users: User[], search: string): User[] {
  const q = search.trim().toLowerCase();
  const shown = q ? users.filter((u) => [u.display_name, u.username, u.email].some((s) => s.toLowerCase().includes(q))) : users;
  return [...shown].sort((a, b) => a.display_name.localeCompare(b.display_name));
}

export function validEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

// --- single sign-on ------------------------------------------------------------------------------------

export interface SsoForm {
  enabled: boolean;
  issuer: string;
  client_id: string;
  /** Empty keeps the stored secret. */
  client_secret: string;
  scopes: string;
  role_claim: string;
  /** "claim value = role" per line. */
  mapping: string;
  default_role: Role | '';
  create_users: boolean;
  sso_only: boolean;
  /** Comma or space separated. */
  domains: string;
  login_host: string;
  button_label: string;
}

export function ssoForm(s: SsoSettings | null): SsoForm {
  return {
    enabled: s?.enabled ?? true,
    issuer: s?.issuer ?? '',
    client_id: s?.client_id ?? '',
    client_secret: '',
    scopes: s?.scopes ?? 'openid email profile',
    role_claim: s?.role_claim ?? 'groups',
    mapping: Object.entries(s?.role_mapping ?? {})
      .map(([claim, role]) => `${claim} = ${role}`)
      .join('\n'),
    default_role: (s?.default_role as Role | '' | undefined) ?? 'viewer',
    create_users: s?.create_users ?? true,
    sso_only: s?.sso_only ?? false,
    domains: (s?.email_domains ?? []).join(', '),
    login_host: s?.login_host ?? '',
    button_label: s?.button_label ?? '',
  };
}

/** The request body, or the problems per field (a line of the mapping that is not "value = role"). */
export function ssoPayload(f: SsoForm): { body?: SsoSettingsBody; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  if (!/^https?:\/\/\S+$/.test(f.issuer.trim())) problems.issuer = 'The issuer is the provider’s URL, e.g. https://login.example.com/realms/acme.';
  if (!f.client_id.trim()) problems.client_id = 'Enter the client id the provider gave you.';
  const role_mapping: Record<string, Role> = {};
  f.mapping
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .forEach((line, i) => {
      const [claim, role] = line.split('=').map((s) => s.trim());
      if (!claim || !ROLES.includes(role as Role)) problems.role_mapping = `Line ${i + 1}: write “claim value = role” with a role of ${ROLES.join(', ')}.`;
      else role_mapping[claim] = role as Role;
    });
  if (Object.keys(problems).length) return { problems };
  const body: SsoSettingsBody = {
    enabled: f.enabled,
    issuer: f.issuer.trim(),
    client_id: f.client_id.trim(),
    scopes: f.scopes.trim() || 'openid email profile',
    role_claim: f.role_claim.trim(),
    role_mapping,
    default_role: f.default_role,
    create_users: f.create_users,
    sso_only: f.sso_only,
    email_domains: f.domains.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean),
    login_host: f.login_host.trim() || null,
    button_label: f.button_label.trim(),
  };
  if (f.client_secret) body.client_secret = f.client_secret;
  return { body, problems };
}
