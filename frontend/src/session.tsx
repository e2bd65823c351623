import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api/client';
import { sessionApi } from './api/session';
import type { Me, Organisation } from './api/types';
import { Spinner } from './ui/bits';

const ORG_KEY = 'fb.organisation';

interface Session {
  me: Me;
  organisation: Organisation | null;
  setOrganisation: (id: number) => void;
  logout: () => Promise<void>;
}

const Ctx = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function loginUrl(): string {
  const next = window.location.pathname + window.location.search;
  return `/login/?next=${encodeURIComponent(next)}`;
}

function storedOrg(): number | null {
  try {
    const v = window.localStorage.getItem(ORG_KEY);
    return v ? Number(v) : null;
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [orgId, setOrgId] = useState<number | null>(storedOrg());

  useEffect(() => {
    let alive = true;
    sessionApi.me().then(
      (m) => alive && setMe(m),
      (e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          window.location.assign(loginUrl());
          return;
        }
        if (alive) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      alive = false;
    };
  }, []);

  const setOrganisation = useCallback((id: number) => {
    setOrgId(id);
    try {
      window.localStorage.setItem(ORG_KEY, String(id));
    } catch {
      /* private mode */
    }
  }, []);

  const logout = useCallback(async () => {
    try {
      await sessionApi.logout();
    } finally {
      window.location.assign('/login/');
    }
  }, []);

  if (error) {
    return (
      <div className="center-page" data-testid="session-error">
        <h2>Flowbuilder could not start</h2>
        <p>{error}</p>
        <button className="primary" onClick={() => window.location.reload()}>
          Try again
        </button>
      </div>
    );
  }
  if (!me) {
    return (
      <div className="center-page">
        <Spinner label="Signing in" />
      </div>
    );
  }
  const organisation = me.organisations.find((o) => o.id === orgId) ?? me.organisations[0] ?? null;
  return <Ctx.Provider value={{ me, organisation, setOrganisation, logout }}>{children}</Ctx.Provider>;
}
