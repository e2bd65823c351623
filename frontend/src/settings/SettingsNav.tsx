// The settings area's frame: a title and the tabs (Users, Single sign-on, Governance) for the current organisation.
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import './settings.css';

export function SettingsPage({ testid, title, subtitle, children }: { testid: string; title: string; subtitle: string; children: ReactNode }) {
  return (
    <div className="page" data-testid={testid}>
      <div className="page-head">
        <div>
          <h1>{title}</h1>
          <p className="muted">{subtitle}</p>
        </div>
      </div>
      <nav className="settings-tabs" aria-label="Settings">
        <NavLink to="/settings/users" data-testid="settings-tab-users">
          Users
        </NavLink>
        <NavLink to="/settings/sso" data-testid="settings-tab-sso">
          Single sign-on
        </NavLink>
        <NavLink to="/settings/governance" data-testid="settings-tab-governance">
          Governance
        </NavLink>
      </nav>
      {children}
    </div>
  );
}
