import { useEffect, useMemo, useRef, useState } from 'react';
import { RunEnvironmentBadge } from '../environments/EnvironmentBadge';
import { Link, useNavigate, useParams } from 'react-router';
import { ReactFlowProvider } from '@xyflow/react';
import { ApiError, errorMessage } from '../api/client';
import { runsApi } from '../api/runs';
import { versionNumber, type RunDetail } from '../api/types';
import { DocumentStore, isTerminalRun } from '../store/documentStore';
import { StoreContext, useEditor } from '../editor/storeContext';
import { Canvas } from '../editor/Canvas';
import { Inspector } from '../editor/Inspector';
import { loadNodeTypes } from '../editor/EditorPage';
import { useRevealNode } from '../editor/useRevealNode';
import { useLiveRun } from './useLiveRun';
import { SagaPanel, WaitingBanner } from './RunProcessPanels';
import { EmptyState, Skeleton, StatusBadge } from '../ui/bits';
import { useToast } from '../ui/toast';
import { clock, duration } from '../lib/format';

/** The node a failed run stopped at: the run's error names it, else the first failed node run. */
export function failedNode(r: Pick<RunDetail, 'error' | 'node_runs'>): string | null {
  const named = r.error?.node_id;
  if (named) return named;
  return r.node_runs.find((n) => n.status === 'failed')?.node_id ?? null;
}

export function RunDetailPage() {
  const { id } = useParams();
  const runId = Number(id);
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const store = useMemo(() => new DocumentStore({ readOnly: true }), []);

  useEffect(() => {
    let alive = true;
    setRun(null);
    Promise.all([loadNodeTypes(), runsApi.get(runId)]).then(
      ([types, r]) => {
        if (!alive) return;
        store.setNodeTypes(types);
        store.load({ id: r.flow, draft: { document: r.document, revision: 0, saved_by: null, saved_at: null, findings: [] } });
        store.runSnapshot(r, r.last_seq);
        // A failed run opens on its failed node, selected, so its error and input are one look away.
        const failed = failedNode(r);
        if (failed) store.select({ nodes: [failed] });
        setRun(r);
      },
      (e: Error) => alive && setError(e instanceof ApiError && e.status === 404 ? 'This run does not exist or you cannot see it.' : e.message),
    );
    return () => {
      alive = false;
    };
  }, [runId, store]);

  if (error) return <EmptyState title="Could not open the run" body={error} action={<Link to="/runs">Back to runs</Link>} />;
  if (!run) return <div className="page"><Skeleton rows={6} testid="run-loading" /></div>;
  return (
    <StoreContext.Provider value={store}>
      <ReactFlowProvider>
        <RunView run={run} store={store} />
      </ReactFlowProvider>
    </StoreContext.Provider>
  );
}

function RunView({ run, store }: { run: RunDetail; store: DocumentStore }) {
  const toast = useToast();
  const navigate = useNavigate();
  const live = useEditor((s) => s.run);
  const selection = useEditor((s) => s.selection);
  const bodyRef = useRef<HTMLDivElement>(null);
  const status = live?.status ?? run.status;
  useLiveRun(store, isTerminalRun(run.status) ? null : run.id);
  const act = async (what: 'cancel' | 'retry' | 'replay') => {
    try {
      if (what === 'cancel') {
        await runsApi.cancel(run.id);
        toast.success('Cancel requested');
      } else {
        // Both start a new run: go to it (the new run links back to this one).
        const r = await (what === 'retry' ? runsApi.retry(run.id) : runsApi.replay(run.id));
        if (what === 'retry') toast.success(`Retrying from the failed node as run #${r.id}`);
        navigate(`/runs/${r.id}`);
      }
    } catch (e) {
      toast.error(`Could not ${what} the run`, errorMessage(e));
    }
  };
  const selected = selection.nodes.length === 1 ? selection.nodes[0] : null;
  useRevealNode(selected, bodyRef);
  return (
    <div className="editor run-detail" data-testid="run-detail" data-status={status}>
      <div className="toolbar">
        <Link to="/runs" className="ghost small">
          ← Runs
        </Link>
        <h2 className="toolbar-title">Run #{run.id}</h2>
        <StatusBadge status={status} />
        <Link to={`/flows/${run.flow}`}>{run.flow_name}</Link>
        {versionNumber(run.version) !== null && <span className="muted small">v{versionNumber(run.version)}</span>}
        {typeof run.version === 'object' && run.version && <RunEnvironmentBadge flowId={run.flow} versionId={run.version.id} state={run.version.state} environment={run.version.environment} />}
        <span className="muted small">
          {run.origin} · {clock(run.started_at ?? run.created_at)} · {duration(run.duration_ms)}
        </span>
        {run.replay_of && (
          <Link to={`/runs/${run.replay_of}`} className="small" data-testid="run-original">
            Retry of run #{run.replay_of}
          </Link>
        )}
        {(run.retried_as ?? []).map((r) => (
          <Link key={r.id} to={`/runs/${r.id}`} className="small" data-testid="run-retried-as">
            Retried as run #{r.id} ({r.status})
          </Link>
        ))}
        <div className="toolbar-group right">
          {!isTerminalRun(status) && <button className="small danger-ghost" onClick={() => void act('cancel')} data-testid="run-cancel">Cancel</button>}
          {status === 'failed' && <button className="small" onClick={() => void act('retry')} data-testid="run-retry">Retry from failed node</button>}
          <button className="small" onClick={() => void act('replay')} data-testid="run-replay">Replay</button>
        </div>
      </div>
      {run.error && (
        <div className="banner banner-error" role="alert">
          {run.error.message}
          {run.error.hint && <div className="small">{run.error.hint}</div>}
        </div>
      )}
      {status === 'waiting' && <WaitingBanner run={{ ...run, status }} />}
      <SagaPanel run={run} />
      <div ref={bodyRef} className="editor-body no-palette">
        <div className="canvas-wrap">
          <Canvas readOnly focus={failedNode(run)} focusAlign="centre" />
        </div>
        {selected ? (
          <Inspector key={selected} nodeId={selected} readOnly />
        ) : (
          <aside className="inspector inspector-empty">
            <h3>Select a node</h3>
            <p className="muted small">See its input and output items, counts, duration and errors.</p>
          </aside>
        )}
      </div>
    </div>
  );
}
