import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { flowsApi } from '../api/flows';
import { useSession } from '../session';
import { StatusBadge, Spinner } from '../ui/bits';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { useResource } from '../lib/useResource';
import { useToast } from '../ui/toast';
import { readJsonFile, useDebounced } from '../lib/hooks';
import { timeAgo } from '../lib/format';
import { ShareDialog } from '../sharing/ShareDialog';

function CreateFlowDialog({ onClose, onCreate }: { onClose: () => void; onCreate: (name: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    if (!name.trim()) return;
    setBusy(true);
    try {
      await onCreate(name.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <FormDialog
      title="New flow"
      onClose={onClose}
      onSubmit={submit}
      submitLabel="Create flow"
      busy={busy}
      busyLabel="Creating"
      disabled={!name.trim()}
      testid="create-flow-dialog"
      submitTestid="create-flow-submit"
    >
      <label className="field">
        <span>Name</span>
        <input data-testid="create-flow-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Opportunity won → project" maxLength={200} />
      </label>
    </FormDialog>
  );
}

export function FlowListPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('');
  const [tag, setTag] = useState('');
  const [creating, setCreating] = useState(false);
  const [sharing, setSharing] = useState<{ id: number; name: string } | null>(null);
  const [importing, setImporting] = useState(false);
  const [knownTags, setKnownTags] = useState<string[]>([]);
  const fileRef = useRef<HTMLInputElement>(null);
  const q = useDebounced(search, 250);
  const orgId = organisation?.id;

  const page = useResource(orgId ? [orgId, q, status, tag] : null, () =>
    flowsApi.list({ organisation: orgId!, search: q, status, tag, limit: 100 }),
  );
  const count = page.data?.count ?? 0;
  // The tag filter offers every tag seen since the page opened (filtering by one keeps the others).
  useEffect(() => {
    if (page.data) setKnownTags((prev) => [...new Set([...prev, ...page.data!.results.flatMap((f) => f.tags)])].sort());
  }, [page.data]);

  const create = async (name: string) => {
    try {
      const flow = await flowsApi.create({ organisation: orgId!, name, document: { schema_version: 1, nodes: [], edges: [], notes: [] } });
      navigate(`/flows/${flow.id}`);
    } catch (e) {
      toast.error('Could not create the flow', e instanceof ApiError ? e.message : String(e));
    }
  };

  const onImport = async (file: File | undefined) => {
    if (!file) return;
    setImporting(true);
    try {
      const data = await readJsonFile(file);
      const flow = await flowsApi.import(orgId!, data);
      toast.success(`Imported "${flow.name}"`);
      navigate(`/flows/${flow.id}`);
    } catch (e) {
      toast.error('Import failed', e instanceof Error ? `${e.message} Check that the file is a Flowbuilder export.` : String(e));
    } finally {
      setImporting(false);
      if (fileRef.current) fileRef.current.value = '';
    }
  };

  const hasFilters = !!(q || status || tag);

  return (
    <div className="page" data-testid="flow-list">
      <div className="page-head">
        <div>
          <h1>Flows</h1>
          <p className="muted">{organisation?.name}</p>
        </div>
        <div className="row gap">
          <input ref={fileRef} type="file" accept="application/json,.json" hidden data-testid="import-flow-file" onChange={(e) => void onImport(e.target.files?.[0])} />
          <button onClick={() => fileRef.current?.click()} disabled={importing} data-testid="import-flow">
            {importing ? <Spinner /> : 'Import JSON'}
          </button>
          <button className="primary" onClick={() => setCreating(true)} data-testid="create-flow">
            New flow
          </button>
        </div>
      </div>
      <div className="filters">
        <input type="search" placeholder="Search flows…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="flow-search" aria-label="Search flows" />
        <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="flow-status-filter" aria-label="Status">
          <option value="">All statuses</option>
          <option value="draft">Draft</option>
          <option value="published">Published</option>
        </select>
        <select value={tag} onChange={(e) => setTag(e.target.value)} data-testid="flow-tag-filter" aria-label="Tag">
          <option value="">All tags</option>
          {knownTags.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        {page.data && <span className="muted">{count} flow{count === 1 ? '' : 's'}</span>}
      </div>
      <ResourceState
        resource={page}
        what="flows"
        testid="flow-list"
        rows={6}
        isEmpty={(p) => p.results.length === 0}
        empty={
          hasFilters
            ? {
                title: 'No flows match',
                body: 'Try another search or clear the filters.',
                action: <button onClick={() => { setSearch(''); setStatus(''); setTag(''); }}>Clear filters</button>,
              }
            : {
                title: 'No flows yet',
                body: 'A flow moves records between your CRM, PSA and ERP. Start from scratch or import a JSON export.',
                action: <button className="primary" onClick={() => setCreating(true)}>Create your first flow</button>,
              }
        }
      >
        {({ results: flows }) => (
            <table className="table" data-testid="flow-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Tags</th>
                  <th>Last run</th>
                  <th>Updated</th>
                  <th>
                    <span className="sr-only">Access</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {flows.map((f) => (
                  <tr key={f.id} data-testid={`flow-row-${f.id}`}>
                    <td>
                      <Link to={`/flows/${f.id}`} className="strong">
                        {f.name}
                      </Link>
                      {f.description && <div className="muted small">{f.description}</div>}
                    </td>
                    <td>
                      <span className={`pill pill-${f.status}`}>{f.status}</span>
                      {f.published_version && <span className="muted small"> v{f.published_version.number}</span>}
                    </td>
                    <td>
                      {f.tags.map((t) => (
                        <button key={t} className="tag" onClick={() => setTag(t)}>
                          {t}
                        </button>
                      ))}
                    </td>
                    <td>
                      {f.last_run ? (
                        <Link to={`/runs/${f.last_run.id}`} className="row gap-s">
                          <StatusBadge status={f.last_run.status} />
                          <span className="muted small">{timeAgo(f.last_run.created_at)}</span>
                        </Link>
                      ) : (
                        <StatusBadge status={null} />
                      )}
                    </td>
                    <td className="muted small">
                      {timeAgo(f.updated_at)}
                      {f.updated_by && ` · ${f.updated_by}`}
                    </td>
                    <td>
                      <button className="small" onClick={() => setSharing({ id: f.id, name: f.name })} data-testid={`flow-share-${f.id}`}>
                        {organisation?.role === 'admin' ? 'Share' : 'Access'}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
        )}
      </ResourceState>
      {creating && <CreateFlowDialog onClose={() => setCreating(false)} onCreate={create} />}
      {sharing && <ShareDialog kind="flow" id={sharing.id} name={sharing.name} canShare={organisation?.role === 'admin'} onClose={() => setSharing(null)} />}
    </div>
  );
}
