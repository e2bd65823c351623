// /connections: the organisation's connections to CRM/PSA/ERP/HTTP systems. Secrets are write-only:
// the list shows which secret fields are set, never a value.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../api/client';
import { connectionsApi } from '../api/connections';
import type { ConnectionDetail, ConnectionTestResult, ConnectorInfo } from '../api/types';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { Dialog, EmptyState, Spinner } from '../ui/bits';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { clock, timeAgo } from '../lib/format';
import { ConnectionDialog, ConnectorIcon } from './ConnectionDialog';
import { TestCell } from './TestStatus';
import { ShareDialog } from '../sharing/ShareDialog';
import { AuthCell, UsageLine } from './AuthStatus';
import { callbackResult, ENVIRONMENTS, errorSummary, fieldTitle, missingSecrets } from './model';
import { useOrgEnvironments } from '../environments/EnvironmentBadge';
import { environmentLabel } from '../environments/model';
import './connections.css';

const CHANGE_ROLES = ['admin', 'builder'];
// Stored by Connect, shown as the authorisation state rather than as secret tags.
const TOKEN_FIELDS = ['access_token', 'refresh_token', 'expires_at'];
const envLabel = (env: string, names?: Record<string, string>) => environmentLabel(env, names) ?? ENVIRONMENTS.find((e) => e.value === env)?.label ?? env;
const message = (e: unknown) => (e instanceof ApiError ? errorSummary(e.body as never, e.message) : String(e));

function DeleteDialog({ conn, onClose, onDeleted }: { conn: ConnectionDetail; onClose: () => void; onDeleted: () => void }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await connectionsApi.remove(conn.id);
      toast.success(`Deleted “${conn.name}”`);
      onDeleted();
    } catch (e) {
      toast.error('Could not delete the connection', message(e));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Delete connection?"
      onClose={onClose}
      testid="connection-delete-dialog"
      footer={
        <>
          <button type="button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" className="danger" onClick={() => void remove()} disabled={busy} data-testid="connection-delete-confirm">
            {busy ? <Spinner label="Deleting" /> : 'Delete connection'}
          </button>
        </>
      }
    >
      <p>
        <strong>{conn.name}</strong> <span className="muted">({envLabel(conn.environment)}, <code>{conn.ref}</code>)</span> and its stored
        credentials will be deleted.
      </p>
      <p className="muted">Flow steps that use this connection fail until you pick another one. This cannot be undone.</p>
    </Dialog>
  );
}

export function ConnectionsPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const orgId = organisation?.id;
  const canChange = !!organisation && CHANGE_ROLES.includes(organisation.role);
  const listed = useResource(orgId ? [orgId] : null, () => connectionsApi.list(orgId!));
  const registry = useResource<ConnectorInfo[]>([], () => connectionsApi.connectors());
  const connections = listed.data;
  const setConnections = listed.update;
  const connectors = useMemo(() => registry.data ?? (registry.error ? [] : null), [registry.data, registry.error]);
  const connectorsError = registry.error ? message(registry.error) : null;
  const [search, setSearch] = useState('');
  const [env, setEnv] = useState('');
  const orgEnvs = useOrgEnvironments();
  const [editing, setEditing] = useState<ConnectionDetail | 'new' | null>(null);
  const [deleting, setDeleting] = useState<ConnectionDetail | null>(null);
  const [sharing, setSharing] = useState<ConnectionDetail | null>(null);
  const [testing, setTesting] = useState<Set<number>>(new Set());

  const byKey = useMemo(() => new Map((connectors ?? []).map((c) => [c.key, c])), [connectors]);

  const upsert = useCallback((c: ConnectionDetail) => {
    setConnections((list) => {
      const l = list ?? [];
      if (l.some((x) => x.id === c.id)) return l.map((x) => (x.id === c.id ? c : x));
      return [...l, c].sort((a, b) => a.name.localeCompare(b.name) || a.environment.localeCompare(b.environment));
    });
  }, [setConnections]);

  const applyTest = useCallback((id: number, r: ConnectionTestResult) => {
    setConnections((list) => (list ?? []).map((x) => (x.id === id ? { ...x, last_test_ok: r.ok, last_test_message: r.message, last_tested_at: r.tested_at } : x)));
  }, [setConnections]);

  const runTest = async (c: ConnectionDetail) => {
    setTesting((s) => new Set(s).add(c.id));
    try {
      const r = await connectionsApi.test(c.id);
      applyTest(c.id, r);
      if (r.ok) toast.success(`“${c.name}” works`, r.message);
      else toast.error(`“${c.name}” failed its test`, r.message);
    } catch (e) {
      toast.error(`Could not test “${c.name}”`, message(e));
    } finally {
      setTesting((s) => {
        const n = new Set(s);
        n.delete(c.id);
        return n;
      });
    }
  };

  // Back from a system's consent page (/oauth/callback/ redirects here): say how it went, and test a
  // freshly connected connection at once so the row shows it working.
  const [searchParams, setSearchParams] = useSearchParams();
  const callback = useMemo(() => callbackResult(`?${searchParams.toString()}`), [searchParams]);
  const handled = useRef(false);
  useEffect(() => {
    if (handled.current || (!callback.connected && !callback.error) || !connections) return;
    handled.current = true;
    setSearchParams({}, { replace: true });
    if (callback.error) {
      const c = connections.find((x) => x.id === callback.connection);
      toast.error(c ? `Could not connect “${c.name}”` : 'Could not connect', callback.error);
      return;
    }
    const c = connections.find((x) => x.id === callback.connected);
    if (c) {
      toast.success(`Connected “${c.name}”`, 'Testing the connection…');
      void runTest(c);
    }
  }, [callback, connections]); // eslint-disable-line react-hooks/exhaustive-deps

  const closeDialog = useCallback(() => setEditing(null), []);
  const closeDelete = useCallback(() => setDeleting(null), []);
  const onSaved = useCallback(
    (c: ConnectionDetail, closing: boolean) => {
      upsert(c);
      if (closing) toast.success(`Saved “${c.name}”`, c.last_tested_at ? undefined : 'Test it to check the URL and credentials.');
    },
    [upsert, toast],
  );

  // Environments show (column, filter) when the organisation has them, or a connection is outside dev.
  const showEnv = orgEnvs.enabled || (connections ?? []).some((c) => c.environment !== 'dev');
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return (connections ?? []).filter(
      (c) =>
        (!env || c.environment === env) &&
        (!q || `${c.name} ${c.connector} ${byKey.get(c.connector)?.name ?? ''} ${c.base_url}`.toLowerCase().includes(q)),
    );
  }, [connections, search, env, byKey]);

  const newButton = (label: string, testid: string) => (
    <button
      className="primary"
      onClick={() => setEditing('new')}
      disabled={!connectors || connectors.length === 0}
      title={connectorsError ? `Connectors could not be loaded: ${connectorsError}` : undefined}
      data-testid={testid}
    >
      {label}
    </button>
  );

  return (
    <div className="page" data-testid="connections-page">
      <div className="page-head">
        <div>
          <h1>Connections</h1>
          <p className="muted">{organisation?.name} · how flows reach your CRM, PSA and ERP systems</p>
        </div>
        {canChange && <div className="row gap">{newButton('New connection', 'create-connection')}</div>}
      </div>
      {!canChange && (
        <div className="callout conn-callout" role="note">
          Your role ({organisation?.role}) can see connections but not change or test them. Ask an admin or builder.
        </div>
      )}
      {connectorsError && (
        <div className="callout callout-error" role="alert">
          The connector list could not be loaded ({connectorsError}). Refresh the page to try again.
        </div>
      )}
      {connections && connections.length > 0 && (
        <div className="filters">
          <input type="search" placeholder="Search connections…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search connections" data-testid="connection-search" />
          {showEnv && (
            <select value={env} onChange={(e) => setEnv(e.target.value)} aria-label="Environment" data-testid="connection-env-filter">
              <option value="">All environments</option>
              {ENVIRONMENTS.map((e) => (
                <option key={e.value} value={e.value}>
                  {envLabel(e.value, orgEnvs.names)}
                </option>
              ))}
            </select>
          )}
          <span className="muted">
            {shown.length} of {connections.length} connection{connections.length === 1 ? '' : 's'}
          </span>
        </div>
      )}
      <ResourceState
        resource={listed}
        what="connections"
        testid="connections"
        rows={5}
        describe={message}
        empty={{
          title: 'No connections yet',
          body: 'A connection holds the address and credentials of one system (Salesforce, Kantata, NetSuite, any HTTP API) for one environment. Flow steps pick a connection; secrets are stored encrypted and never shown again.',
          action: canChange ? newButton('Create your first connection', 'empty-create-connection') : undefined,
        }}
      >
        {() =>
          shown.length === 0 ? (
            <EmptyState title="No connections match" body="Try another search or environment." action={<button onClick={() => { setSearch(''); setEnv(''); }}>Clear filters</button>} />
          ) : (
            <table className="table conn-table" data-testid="connections-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Connector</th>
                  {showEnv && <th>Environment</th>}
                  <th>Base URL</th>
                  <th>Credentials</th>
                  <th>Last test</th>
                  <th>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((c) => {
                  const connector = byKey.get(c.connector);
                  const ctype = connector?.credential_types.find((t) => t.key === c.credential_type);
                  const missing = missingSecrets(c, ctype);
                  const isTesting = testing.has(c.id);
                  return (
                    <tr key={c.id} data-testid={`connection-row-${c.id}`}>
                      <td>
                        {canChange ? (
                          <button type="button" className="conn-name-link strong" onClick={() => setEditing(c)} title="Edit">
                            {c.name}
                          </button>
                        ) : (
                          <span className="strong">{c.name}</span>
                        )}
                        <div className="muted small">
                          <code title="How flow documents refer to this connection">{c.ref}</code>
                          {' · '}
                          <span title={clock(c.updated_at)}>updated {timeAgo(c.updated_at)}</span>
                        </div>
                      </td>
                      <td>
                        <span className="row gap-s">
                          <ConnectorIcon connector={connector} fallback={c.connector} />
                          <span>
                            <span>{connector?.name ?? c.connector}</span>
                            <span className="muted small conn-block">{connector ? connector.category : 'not installed'}</span>
                          </span>
                        </span>
                      </td>
                      {showEnv && (
                        <td>
                          <span className={`pill conn-env-${c.environment}`} data-testid={`connection-env-${c.id}`}>
                            {envLabel(c.environment, orgEnvs.names)}
                          </span>
                        </td>
                      )}
                      <td>
                        <span className="clip conn-url" title={c.base_url}>
                          {c.base_url}
                        </span>
                        <UsageLine conn={c} />
                      </td>
                      <td data-testid={`connection-secrets-${c.id}`}>
                        <span className="muted small conn-block">{ctype?.label ?? c.credential_type}</span>
                        <AuthCell conn={c} ctype={ctype} canChange={canChange} />
                        {c.secrets_set.length === 0 && missing.length === 0 && <span className="muted small conn-block">no secrets set</span>}
                        {c.secrets_set.filter((s) => !(ctype?.connect && TOKEN_FIELDS.includes(s))).map((s) => (
                          <span key={s} className="tag conn-secret-tag" title="Stored encrypted; never shown">
                            {fieldTitle(ctype, s)} ✓
                          </span>
                        ))}
                        {missing.map((s) => (
                          <span key={s} className="tag conn-secret-missing" title="Required but not set: edit the connection to enter it">
                            {fieldTitle(ctype, s)} missing
                          </span>
                        ))}
                      </td>
                      <td>
                        <TestCell
                          testid={`connection-last-test-${c.id}`}
                          view={{ testing: isTesting, ok: c.last_test_ok, message: c.last_test_message, at: c.last_tested_at }}
                        />
                      </td>
                      <td className="conn-actions">
                        <button className="small" onClick={() => setSharing(c)} data-testid={`connection-share-${c.id}`} aria-label={`Who has access to ${c.name}`}>
                          {organisation?.role === 'admin' ? 'Share' : 'Access'}
                        </button>{' '}
                        {canChange && (
                          <span className="row gap-s">
                            <button className="small" onClick={() => void runTest(c)} disabled={isTesting} data-testid={`connection-test-${c.id}`} aria-label={`Test connection ${c.name}`}>
                              {isTesting ? <Spinner label="Testing" /> : 'Test'}
                            </button>
                            <button className="small" onClick={() => setEditing(c)} data-testid={`connection-edit-${c.id}`} aria-label={`Edit connection ${c.name}`}>
                              Edit
                            </button>
                            <button className="small danger-ghost" onClick={() => setDeleting(c)} data-testid={`connection-delete-${c.id}`} aria-label={`Delete connection ${c.name}`}>
                              Delete
                            </button>
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </ResourceState>
      {editing && orgId && (
        <ConnectionDialog
          organisation={orgId}
          connectors={connectors ?? []}
          initial={editing === 'new' ? null : editing}
          onClose={closeDialog}
          onSaved={onSaved}
          onTested={applyTest}
        />
      )}
      {sharing && (
        <ShareDialog kind="connection" id={sharing.id} name={sharing.name} canShare={organisation?.role === 'admin'} onClose={() => setSharing(null)} />
      )}
      {deleting && (
        <DeleteDialog
          conn={deleting}
          onClose={closeDelete}
          onDeleted={() => {
            setConnections((list) => (list ?? []).filter((x) => x.id !== deleting.id));
            setDeleting(null);
          }}
        />
      )}
    </div>
  );
}
