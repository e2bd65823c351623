import { describe, expect, it } from 'vitest';
import type { SsoSettings, User } from '../api/types';
import { filterUsers, membershipIn, ssoForm, ssoPayload, userStatus, validEmail } from './model';

const user = (u: Partial<User>): User => ({
  id: 1,
  username: 'ana',
  email: 'ana@acme.example',
  display_name: 'Ana',
  last_login: null,
  date_joined: '2026-01-01T00:00:00Z',
  can_sign_in: true,
  invited: false,
  memberships: [{ id: 7, organisation: 3, organisation_name: 'Acme', role: 'builder', is_active: true, deactivated_at: null, deactivated_by: null }],
  locked_until: null,
  ...u,
});

describe('a person’s row', () => {
  it('finds the membership of the page’s organisation', () => {
    expect(membershipIn(user({}), 3)?.id).toBe(7);
    expect(membershipIn(user({}), 4)).toBeUndefined();
  });
  it('says the most pressing status first', () => {
    const now = Date.parse('2026-06-01T10:00:00Z');
    const locked = user({ locked_until: '2026-06-01T10:15:00Z', invited: true });
    expect(userStatus(locked, membershipIn(locked, 3), now).key).toBe('locked');
    expect(userStatus(user({ locked_until: '2026-06-01T09:00:00Z' }), undefined, now).key).toBe('active');
    const off = user({ memberships: [{ ...user({}).memberships[0], is_active: false }], can_sign_in: false });
    expect(userStatus(off, membershipIn(off, 3), now).label).toBe('Deactivated');
    expect(userStatus(user({ invited: true }), undefined, now).label).toBe('Invited');
    expect(userStatus(user({ can_sign_in: false }), undefined, now).key).toBe('disabled');
  });
  it('filters and sorts by name', () => {
    const people = [user({ id: 1, display_name: 'Zoe', username: 'zoe', email: 'z@x' }), user({ id: 2, display_name: 'Ben', username: 'ben', email: 'b@x' })];
    expect(filterUsers(people, '').map((u) => u.id)).toEqual([2, 1]);
    expect(filterUsers(people, 'ZO').map((u) => u.id)).toEqual([1]);
    expect(filterUsers(people, 'b@').map((u) => u.id)).toEqual([2]);
  });
  it('checks e-mail addresses', () => {
    expect(validEmail(' a@b.co ')).toBe(true);
    expect(validEmail('a@b')).toBe(false);
    expect(validEmail('not mail')).toBe(false);
  });
});

describe('single sign-on form', () => {
  const saved: SsoSettings = {
    enabled: true,
    issuer: 'https://login.acme.example',
    client_id: 'fb',
    client_secret_set: true,
    scopes: 'openid email',
    role_claim: 'groups',
    role_mapping: { admins: 'admin', staff: 'builder' },
    default_role: '',
    create_users: true,
    sso_only: true,
    email_domains: ['acme.example', 'acme.test'],
    login_host: null,
    button_label: '',
    callback_url: 'https://flows.example/sso/callback/',
  };
  it('round-trips the settings and keeps the stored secret unless one is typed', () => {
    const form = ssoForm(saved);
    expect(form.mapping).toBe('admins = admin\nstaff = builder');
    expect(form.domains).toBe('acme.example, acme.test');
    const { body, problems } = ssoPayload(form);
    expect(problems).toEqual({});
    expect(body?.role_mapping).toEqual({ admins: 'admin', staff: 'builder' });
    expect(body?.email_domains).toEqual(['acme.example', 'acme.test']);
    expect(body && 'client_secret' in body).toBe(false);
    expect(ssoPayload({ ...form, client_secret: 'new' }).body?.client_secret).toBe('new');
  });
  it('names the field at fault', () => {
    const bad = ssoPayload({ ...ssoForm(null), issuer: 'login', client_id: '', mapping: 'admins = boss' });
    expect(Object.keys(bad.problems).sort()).toEqual(['client_id', 'issuer', 'role_mapping']);
    expect(bad.body).toBeUndefined();
  });
});
