// "New connection" / "Edit connection": connector picker (grouped by category), name, environment,
// base URL, connector settings and the credential fields, generated from the connector registry's
// JSON Schemas with rjsf + the CSP-safe validator the editor uses. Secrets are write-only.
import { useOrgEnvironments } from '../environments/EnvironmentBadge';
import { environmentLabel } from '../environments/model';
import { useCallback, useMemo, useRef, useState } from 'react';
import Form from '@rjsf/core';
import type { ErrorSchema, RJSFSchema, UiSchema } from '@rjsf/utils';
import { ApiError } from '../api/client';
import { connectionsApi } from '../api/connections';
import type { ConnectionDetail, ConnectionTestResult, ConnectorInfo, CredentialTypeInfo, Environment } from '../api/types';
import { cspSafeValidator } from '../editor/rjsfValidator';
import { useSession } from '../session';
import { Dialog, Spinner } from '../ui/bits';
import { NodeIcon } from '../lib/icons';
import {
  baseUrlProblem, baseUrlSpec, buildCreatePayload, buildUpdatePayload, categoryClass, credentialFormSchema, credentialUiSchema,
  ENVIRONMENTS, errorSummary, groupConnectors, initialCredentials, movesSecrets, originOf, secretFields, settingsSchema, type FormInput,
  type Values,
} from './model';
import { AuthCell, startConnect } from './AuthStatus';
import { SecretWidget, type SecretContext } from './SecretWidget';
import { TestCallout, type TestView } from './TestStatus';

const widgets = { secret: SecretWidget };
const SETTINGS_UI: UiSchema = { 'ui:submitButtonOptions': { norender: true } };
// Errors are shown inline; rjsf's default onError logs them to the console.
const ignore = () => {};
const IDLE: TestView = { testing: false, ok: null, message: '', at: null };

export function ConnectorIcon({ connector, fallback }: { connector: ConnectorInfo | undefined; fallback?: string }) {
  return (
    <span className={`fnode-icon conn-icon ${categoryClass(connector?.category)}`} aria-hidden>
      <NodeIcon name={connector?.icon ?? 'plug'} label={connector?.name ?? fallback ?? '?'} />
    </span>
  );
}

function ConnectorPicker({ connectors, onPick }: { connectors: ConnectorInfo[]; onPick: (c: ConnectorInfo) => void }) {
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = f ? connectors.filter((c) => `${c.name} ${c.key} ${c.category} ${c.description}`.toLowerCase().includes(f)) : connectors;
    return groupConnectors(list);
  }, [connectors, filter]);
  return (
    <div className="conn-picker" data-testid="connector-picker">
      <input
        type="search"
        placeholder="Filter connectors…"
        aria-label="Filter connectors"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        data-testid="connector-filter"
        onKeyDown={(e) => {
          // Enter picks the only match.
          if (e.key === 'Enter') {
            e.preventDefault();
            const all = groups.flatMap((g) => g.connectors);
            if (all.length === 1) onPick(all[0]);
          }
        }}
      />
      {groups.length === 0 && <p className="muted">No connector matches “{filter}”.</p>}
      {groups.map((g) => (
        <section key={g.category} className="conn-picker-group" data-testid={`connector-group-${g.category}`} aria-label={g.category}>
          <h4>{g.category}</h4>
          <div className="conn-picker-grid">
            {g.connectors.map((c) => (
              <button key={c.key} type="button" className="conn-card" onClick={() => onPick(c)} data-testid={`connector-option-${c.key}`}>
                <ConnectorIcon connector={c} />
                <span className="conn-card-text">
                  <span className="strong">{c.name}</span>
                  {c.description && <span className="muted small conn-card-desc">{c.description}</span>}
                </span>
              </button>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}

/** Maps a 400's `errors` onto the inputs: own fields, and `credentials.<name>` onto the rjsf form. */
function splitServerErrors(e: unknown): { fields: Record<string, string>; creds: ErrorSchema } {
  const fields: Record<string, string> = {};
  const creds: Record<string, { __errors: string[] }> = {};
  if (e instanceof ApiError) {
    for (const [key, msgs] of Object.entries(e.body.errors ?? {})) {
      const msg = (Array.isArray(msgs) ? msgs : [String(msgs)]).join(' ');
      if (key.startsWith('credentials.')) creds[key.slice('credentials.'.length)] = { __errors: [msg] };
      else fields[key] = msg;
    }
  }
  return { fields, creds: creds as ErrorSchema };
}

/** After a failed save: focus the first invalid input, else bring the error message into view. */
function focusFirstInvalid(root: HTMLElement | null) {
  window.setTimeout(() => {
    const field = root?.querySelector<HTMLElement>('[aria-invalid="true"], .has-error input, .has-error select, .has-error textarea');
    if (field) field.focus();
    else reveal(root, '[data-testid="connection-error"]');
  }, 0);
}

/** Scrolls the dialog body so an element (a callout at the bottom) is visible. */
function reveal(root: HTMLElement | null, selector: string) {
  window.requestAnimationFrame(() => root?.querySelector(selector)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
}

export function ConnectionDialog({
  organisation, connectors, initial, onClose, onSaved, onTested,
}: {
  organisation: number;
  connectors: ConnectorInfo[];
  /** null: a new connection. */
  initial: ConnectionDetail | null;
  onClose: () => void;
  /** After a create or update; `closing` is false when the dialog stays open to test. */
  onSaved: (c: ConnectionDetail, closing: boolean) => void;
  onTested: (id: number, r: ConnectionTestResult) => void;
}) {
  const [conn, setConn] = useState<ConnectionDetail | null>(initial);
  const known = conn ? connectors.find((c) => c.key === conn.connector) : undefined;
  const [picked, setPicked] = useState<ConnectorInfo | undefined>(undefined);
  const connector = conn ? known : picked;
  const [name, setName] = useState(initial?.name ?? '');
  const [environment, setEnvironment] = useState<Environment>(initial?.environment ?? 'dev');
  // The picker shows when the organisation has environments (or the connection is already in another one).
  const orgEnvs = useOrgEnvironments();
  const [baseUrl, setBaseUrl] = useState(initial?.base_url ?? '');
  const [settings, setSettings] = useState<Values>(initial?.config ?? {});
  const [ctypeKey, setCtypeKey] = useState(initial?.credential_type ?? '');
  const [credentials, setCredentials] = useState<Values>(() =>
    initialCredentials(initial, known?.credential_types.find((t) => t.key === initial?.credential_type)),
  );
  const [cleared, setCleared] = useState<string[]>([]);
  const [busy, setBusy] = useState<'save' | 'test' | 'connect' | null>(null);
  const [confirmHost, setConfirmHost] = useState(false);
  const { organisation: session } = useSession();
  const isAdmin = session?.role === 'admin';
  const [showErrors, setShowErrors] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [credErrors, setCredErrors] = useState<ErrorSchema | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [test, setTest] = useState<TestView>(
    initial?.last_tested_at ? { testing: false, ok: initial.last_test_ok, message: initial.last_test_message, at: initial.last_tested_at } : IDLE,
  );
  const settingsRef = useRef<Form>(null);
  const credRef = useRef<Form>(null);
  const bodyRef = useRef<HTMLFormElement>(null);

  // A connection whose connector is no longer installed: name, environment and base URL stay editable.
  const ctype: CredentialTypeInfo | undefined = useMemo(
    () =>
      connector?.credential_types.find((t) => t.key === ctypeKey) ??
      (conn && !connector ? { key: conn.credential_type, label: conn.credential_type, description: '', schema: { type: 'object', properties: {} }, secret_fields: [], connect: false } : undefined),
    [connector, ctypeKey, conn],
  );
  const sameType = !!conn && ctype?.key === conn.credential_type;
  const stored = useMemo(() => (sameType && conn ? conn.secrets_set.filter((s) => secretFields(ctype).includes(s)) : []), [sameType, conn, ctype]);
  const kept = stored.filter((s) => !cleared.includes(s));
  const credSchema = useMemo(() => (ctype ? (credentialFormSchema(ctype, kept) as RJSFSchema) : null), [ctype, kept.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps
  const credUi = useMemo(() => (ctype ? credentialUiSchema(ctype) : {}), [ctype]);
  const setSchema = useMemo(() => settingsSchema(connector) as RJSFSchema | null, [connector]);
  const urlSpec = baseUrlSpec(connector);
  const toggleClear = useCallback((n: string) => setCleared((c) => (c.includes(n) ? c.filter((x) => x !== n) : [...c, n])), []);
  const secretCtx: SecretContext = useMemo(() => ({ stored, cleared, toggleClear }), [stored, cleared, toggleClear]);

  const input: FormInput | null = ctype ? { name, environment, baseUrl, settings, credentialType: ctype, credentials } : null;
  const moving = movesSecrets(conn, baseUrl);
  const built = conn && input ? buildUpdatePayload(conn, input, cleared) : null;
  const update = built && moving && confirmHost ? { ...built, confirm_host_change: true } : built;
  const dirty = !conn || !update || Object.keys(update).length > 0;

  const pick = (c: ConnectorInfo) => {
    setPicked(c);
    setCtypeKey(c.credential_types[0]?.key ?? '');
    setBaseUrl(baseUrlSpec(c).default);
    setSettings({});
    setCredentials({});
    setShowErrors(false);
    setError(null);
    setFieldErrors({});
    setCredErrors(undefined);
  };

  const clientProblems = (): Record<string, string> => {
    const p: Record<string, string> = {};
    if (!name.trim()) p.name = 'Enter a name.';
    const u = baseUrlProblem(baseUrl);
    if (u) p.base_url = u;
    if (!ctype) p.credential_type = 'Pick a credential type.';
    return p;
  };

  /** Validates, then creates or updates. Returns the saved connection, or null (errors shown). */
  const persist = async (closing: boolean): Promise<ConnectionDetail | null> => {
    if (!connector && !conn) return null;
    setShowErrors(true);
    const problems = clientProblems();
    const okSettings = settingsRef.current ? settingsRef.current.validateForm() : true;
    const okCreds = credRef.current ? credRef.current.validateForm() : true;
    setFieldErrors(problems);
    setCredErrors(undefined);
    if (Object.keys(problems).length || !okSettings || !okCreds || !input) {
      setError('Some fields need attention.');
      focusFirstInvalid(bodyRef.current);
      return null;
    }
    setError(null);
    setBusy(closing ? 'save' : 'test');
    try {
      let saved: ConnectionDetail;
      if (conn) saved = update && Object.keys(update).length ? await connectionsApi.update(conn.id, update) : conn;
      else saved = await connectionsApi.create(buildCreatePayload(organisation, connector!, input));
      setConn(saved);
      setName(saved.name);
      setBaseUrl(saved.base_url);
      setSettings(saved.config ?? {});
      setCtypeKey(saved.credential_type);
      setCredentials(initialCredentials(saved, connector?.credential_types.find((t) => t.key === saved.credential_type)));
      setCleared([]);
      setConfirmHost(false);
      setShowErrors(false);
      if (saved !== conn) setTest(IDLE); // an earlier result says nothing about the new settings
      onSaved(saved, closing);
      return saved;
    } catch (e) {
      const { fields, creds } = splitServerErrors(e);
      setFieldErrors(fields);
      setCredErrors(Object.keys(creds).length ? creds : undefined);
      setError(e instanceof ApiError ? errorSummary(e.body as never, e.message) : String(e));
      focusFirstInvalid(bodyRef.current);
      return null;
    } finally {
      setBusy(null);
    }
  };

  const save = async () => {
    if (busy) return;
    const saved = await persist(true);
    if (saved) onClose();
  };

  const saveAndTest = async () => {
    if (busy) return;
    const target = dirty ? await persist(false) : conn;
    if (!target) return;
    setBusy('test');
    setTest({ ...IDLE, testing: true });
    reveal(bodyRef.current, '[data-testid="connection-test-result"]');
    try {
      const r = await connectionsApi.test(target.id);
      setTest({ testing: false, ok: r.ok, message: r.message, at: r.tested_at });
      onTested(target.id, r);
    } catch (e) {
      const message = e instanceof ApiError ? errorSummary(e.body as never, e.message) : String(e);
      setTest({ testing: false, ok: false, message: `The test could not be started: ${message}`, at: new Date().toISOString() });
    } finally {
      setBusy(null);
      reveal(bodyRef.current, '[data-testid="connection-test-result"]');
    }
  };

  const connectNow = async () => {
    if (busy) return;
    const target = dirty ? await persist(false) : conn;
    if (!target) return;
    setBusy('connect');
    try {
      await startConnect(target.id); // leaves the page for the system's consent page
    } catch (e) {
      setError(e instanceof ApiError ? errorSummary(e.body as never, e.message) : String(e));
      setBusy(null);
    }
  };

  const title = conn ? `Edit connection · ${conn.name}` : connector ? `New ${connector.name} connection` : 'New connection';
  const fieldErr = (k: string) => (showErrors || fieldErrors[k] ? fieldErrors[k] : undefined);
  const ctypeChanged = !!conn && !!ctype && ctype.key !== conn.credential_type;
  const noFields = !!ctype && Object.keys(ctype.schema.properties ?? {}).length === 0;

  return (
    <Dialog
      title={title}
      onClose={onClose}
      testid="connection-dialog"
      wide
      footer={
        connector || conn ? (
          <>
            <button
              type="button"
              className="conn-foot-left"
              onClick={() => void saveAndTest()}
              disabled={!!busy}
              data-testid="connection-dialog-test"
              title={dirty ? 'Saves your changes, then calls the system with them' : 'Calls the system with the saved settings'}
            >
              {busy === 'test' ? <Spinner label="Testing" /> : null}
              {dirty ? 'Save and test' : 'Test connection'}
            </button>
            {ctype?.connect && (
              <button
                type="button"
                onClick={() => void connectNow()}
                disabled={!!busy}
                data-testid="connection-dialog-connect"
                title="Saves your changes, then opens the system's page to approve access"
              >
                {busy === 'connect' ? <Spinner label="Connecting" /> : null}
                {dirty ? 'Save and connect' : conn?.auth_state === 'connected' ? 'Reconnect' : 'Connect'}
              </button>
            )}
            <button type="button" onClick={onClose}>
              {conn && !dirty ? 'Close' : 'Cancel'}
            </button>
            <button type="button" className="primary" onClick={() => void save()} disabled={!!busy} data-testid="connection-save">
              {busy === 'save' ? <Spinner label="Saving" /> : conn ? 'Save changes' : 'Create connection'}
            </button>
          </>
        ) : (
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        )
      }
    >
      {!connector && !conn ? (
        connectors.length ? (
          <ConnectorPicker connectors={connectors} onPick={pick} />
        ) : (
          <p className="muted">No connectors are installed on the server.</p>
        )
      ) : (
        <form
          ref={bodyRef}
          className="conn-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {/* Enter in any field saves (implicit submission needs a submit button). */}
          <button type="submit" className="sr-only" tabIndex={-1} aria-hidden>
            Save
          </button>
          <div className="conn-form-connector row gap">
            <ConnectorIcon connector={connector} fallback={conn?.connector} />
            <div className="grow">
              <div className="strong">{connector?.name ?? conn?.connector}</div>
              <div className="muted small">
                {connector ? `${connector.category} · ${connector.key}` : 'This connector is not installed on the server.'}
                {conn && <> · <code>{conn.ref}</code></>}
              </div>
            </div>
            {!conn && (
              <button type="button" className="small" onClick={() => setPicked(undefined)} data-testid="connector-change">
                Change
              </button>
            )}
          </div>
          {!connector && conn && (
            <div className="callout callout-error" role="note">
              Only the name, environment and base URL can be changed until the “{conn.connector}” connector is installed again.
            </div>
          )}

          <div className="conn-form-row">
            <label className="field grow">
              <span>Name</span>
              <input
                value={name}
                onChange={(e) => setName(e.target.value)}
                maxLength={200}
                placeholder={connector ? `e.g. ${connector.name} production` : ''}
                aria-invalid={fieldErr('name') ? true : undefined}
                aria-describedby={fieldErr('name') ? 'conn-name-err' : undefined}
                data-testid="connection-name"
                // The picker (and its focused filter) just unmounted: keep keyboard focus in the dialog.
                autoFocus
                required
              />
              {fieldErr('name') && <em id="conn-name-err" className="conn-err">{fieldErr('name')}</em>}
            </label>
            {(orgEnvs.enabled || environment !== 'dev') && (
              <label className="field conn-env" title="Flows promoted into this environment use the connection of the same name here.">
                <span>Environment</span>
                <select value={environment} onChange={(e) => setEnvironment(e.target.value as Environment)} data-testid="connection-environment">
                  {ENVIRONMENTS.map((env) => (
                    <option key={env.value} value={env.value}>
                      {environmentLabel(env.value, orgEnvs.names)}
                    </option>
                  ))}
                </select>
                {fieldErrors.environment && <em className="conn-err">{fieldErrors.environment}</em>}
              </label>
            )}
          </div>

          <label className="field">
            <span>{urlSpec.title}</span>
            <input
              type="url"
              inputMode="url"
              spellCheck={false}
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
              placeholder="https://"
              maxLength={2000}
              aria-invalid={fieldErr('base_url') ? true : undefined}
              aria-describedby="conn-url-help"
              data-testid="connection-base-url"
              required
            />
            {fieldErr('base_url') ? (
              <em id="conn-url-help" className="conn-err">{fieldErr('base_url')}</em>
            ) : (
              <small id="conn-url-help" className="muted">
                {urlSpec.description || 'The root of the system’s API, https:// recommended.'}
              </small>
            )}
          </label>
          {moving && (
            <div className="callout conn-callout" role="note" data-testid="connection-host-change">
              This sends the connection’s credentials to <strong>{originOf(baseUrl)}</strong> instead of {originOf(conn?.base_url ?? '')}:
              enter the secrets again below{ctype?.connect ? ' (and Connect again)' : ''}.
              {isAdmin && (
                <label className="row gap-s small">
                  <input type="checkbox" checked={confirmHost} onChange={(e) => setConfirmHost(e.target.checked)} data-testid="connection-confirm-host" />
                  As an admin, keep the stored secrets for the new host
                </label>
              )}
            </div>
          )}

          {setSchema && (
            <fieldset className="subsection" data-testid="connection-settings">
              <legend>Settings</legend>
              <Form
                ref={settingsRef}
                tagName="div"
                className="rjsf"
                schema={setSchema}
                uiSchema={SETTINGS_UI}
                formData={settings}
                validator={cspSafeValidator}
                idPrefix="conn_cfg"
                noHtml5Validate
                showErrorList={false}
                onError={ignore}
                liveValidate={showErrors ? 'onChange' : undefined}
                onChange={({ formData }) => setSettings((formData ?? {}) as Values)}
              />
              {fieldErrors.config && <em className="conn-err">{fieldErrors.config}</em>}
            </fieldset>
          )}

          {connector && (
            <fieldset className="subsection" data-testid="connection-credentials">
              <legend>Authentication</legend>
              <label className="field">
                <span>Credential type</span>
                <select
                  value={ctypeKey}
                  onChange={(e) => {
                    setCtypeKey(e.target.value);
                    setCredentials(initialCredentials(conn, connector.credential_types.find((t) => t.key === e.target.value)));
                    setCredErrors(undefined);
                  }}
                  data-testid="connection-credential-type"
                  aria-invalid={fieldErr('credential_type') ? true : undefined}
                >
                  {!ctype && <option value="">Pick a credential type…</option>}
                  {connector.credential_types.map((t) => (
                    <option key={t.key} value={t.key}>
                      {t.label}
                    </option>
                  ))}
                </select>
                {fieldErr('credential_type') && <em className="conn-err">{fieldErr('credential_type')}</em>}
              </label>
              {ctype?.description && <p className="muted small">{ctype.description}</p>}
              {ctype?.connect && (
                <div className="callout conn-callout small" role="note" data-testid="connection-connect-help">
                  Tokens come from <strong>Connect</strong>: save, click Connect and approve access in {connector.name}. Register{' '}
                  <code>{`${window.location.origin}/oauth/callback/`}</code> as the callback (redirect) URL of the app in {connector.name}.
                  {conn && sameType && <AuthCell conn={conn} ctype={ctype} canChange={false} />}
                </div>
              )}
              {ctypeChanged && (
                <p className="small conn-warn" role="note">
                  Changing the credential type replaces every stored credential: enter all fields, secrets included.
                </p>
              )}
              {ctype && credSchema && !noFields && (
                <Form
                  key={ctype.key}
                  ref={credRef}
                  tagName="div"
                  className="rjsf"
                  schema={credSchema}
                  uiSchema={credUi}
                  formData={credentials}
                  validator={cspSafeValidator}
                  widgets={widgets}
                  formContext={secretCtx}
                  extraErrors={credErrors}
                  idPrefix="conn_cred"
                  noHtml5Validate
                  showErrorList={false}
                  onError={ignore}
                  liveValidate={showErrors ? 'onChange' : undefined}
                  onChange={({ formData }) => setCredentials((formData ?? {}) as Values)}
                />
              )}
              {noFields && <p className="muted small">This credential type needs no fields.</p>}
              {conn && sameType && stored.length > 0 && (
                <p className="muted small">Secret fields are never shown. Leave them blank to keep the stored values.</p>
              )}
            </fieldset>
          )}

          {error && (
            <div className="callout callout-error" role="alert" data-testid="connection-error">
              {error}
            </div>
          )}
          <TestCallout view={test} />
        </form>
      )}
    </Dialog>
  );
}
