// Where a connection's authorisation stands (Connect types: not connected / connected / reconnect; any
// type: reconnect after the grant lapsed), the Connect button, the warning before a known expiry, and
// the API usage the system reported. Connect sends the browser to the system's consent page; the
// system sends it back to /oauth/callback/, which returns here with ?connected=<id>.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { connectionsApi } from '../api/connections';
import type { ConnectionDetail, CredentialTypeInfo } from '../api/types';
import { Spinner } from '../ui/bits';
import { useToast } from '../ui/toast';
import { authView, errorSummary, usageText } from './model';

/** Starts Connect for a saved connection and leaves the page for the system's consent page. */
export async function startConnect(id: number): Promise<void> {
  const { authorize_url } = await connectionsApi.authorize(id);
  window.location.assign(authorize_url);
}

export function ConnectButton({ conn, label, testid }: { conn: ConnectionDetail; label: string; testid?: string }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      await startConnect(conn.id);
    } catch (e) {
      toast.error(`Could not start Connect for “${conn.name}”`, e instanceof ApiError ? errorSummary(e.body as never, e.message) : String(e));
      setBusy(false);
    }
  };
  return (
    <button type="button" className="small primary" onClick={() => void go()} disabled={busy} data-testid={testid ?? `connection-connect-${conn.id}`}>
      {busy ? <Spinner label="Connecting" /> : label}
    </button>
  );
}

export function AuthCell({ conn, ctype, canChange }: { conn: ConnectionDetail; ctype: CredentialTypeInfo | undefined; canChange: boolean }) {
  const view = authView(conn, ctype);
  if (view.kind === 'typed') return null;
  const badge = view.kind === 'connected' ? 'badge-succeeded' : view.kind === 'reconnect' ? 'badge-failed' : 'badge-none';
  return (
    <div className="conn-auth" data-testid={`connection-auth-${conn.id}`} data-state={view.kind}>
      <span className="row gap-s">
        <span className={`badge ${badge}`} title={view.detail}>
          {view.label}
        </span>
        {canChange && view.connect && <ConnectButton conn={conn} label={view.connect} />}
      </span>
      {view.kind === 'reconnect' && <div className="small error-text conn-auth-detail">{view.detail}</div>}
      {view.warning && (
        <div className="small conn-warn" role="note" data-testid={`connection-expiry-${conn.id}`}>
          {view.warning}
        </div>
      )}
    </div>
  );
}

export function UsageLine({ conn }: { conn: ConnectionDetail }) {
  const text = usageText(conn.api_usage);
  if (!text) return null;
  return (
    <div className="muted small" data-testid={`connection-usage-${conn.id}`} title={`Reported by the system ${conn.api_usage?.at ?? ''}`}>
      API usage: {text}
    </div>
  );
}
