// Compare any two versions of a flow (or a version and the draft): the newer side on a read-only canvas
// with nodes added (green), removed (red, at their old place), changed (amber); the config diff of the
// node clicked (or of all) beside it; "Restore as draft" makes an older version the draft (audited).
import { memo, useEffect, useMemo, useState, type CSSProperties } from 'react';
import { Background, Controls, Handle, Position, ReactFlow, ReactFlowProvider, type Edge, type Node, type NodeProps, type NodeTypes } from '@xyflow/react';
import { historyApi, type VersionDiff } from '../api/history';
import { flowsApi } from '../api/flows';
import type { FlowDetail, FlowVersion } from '../api/types';
import { DiffView } from '../partner/DiffView';
import '../partner/partner.css';
import { Spinner } from '../ui/bits';
import { diffCanvas, type DiffKind } from './versionDiffModel';
import './affordances.css';

type DiffNodeData = { label: string; type: string; kind: DiffKind };
type DiffRFNode = Node<DiffNodeData, 'diff'>;

const KIND_LABEL: Record<DiffKind, string> = { added: 'added', removed: 'removed', changed: 'changed', same: '' };

const DiffNodeView = memo(function DiffNodeView({ id, data, selected }: NodeProps<DiffRFNode>) {
  return (
    <div className={`vdiff-node vdiff-${data.kind}${selected ? ' is-selected' : ''}`} data-testid={`vdiff-node-${id}`} data-kind={data.kind}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="vdiff-label">{data.label}</div>
      <div className="vdiff-type">{data.type}</div>
      {data.kind !== 'same' && <span className="vdiff-tag">{KIND_LABEL[data.kind]}</span>}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes: NodeTypes = { diff: DiffNodeView };
const EDGE_STYLE: Record<string, CSSProperties> = {
  added: { stroke: '#1f9d55', strokeWidth: 2.5 },
  removed: { stroke: '#d64545', strokeWidth: 2, strokeDasharray: '6 4' },
  same: { stroke: '#a0a7b4' },
};

const refLabel = (ref: string) => (ref === 'draft' ? 'Draft' : `v${ref}`);

export function VersionDiffDialog({
  flowId,
  canRestore,
  initialFrom,
  onClose,
  onRestored,
}: {
  flowId: number;
  canRestore: boolean;
  initialFrom?: string;
  onClose: () => void;
  onRestored: (flow: FlowDetail) => void;
}) {
  const [versions, setVersions] = useState<FlowVersion[]>([]);
  const [from, setFrom] = useState<string | undefined>(initialFrom);
  const [to, setTo] = useState('draft');
  const [diff, setDiff] = useState<VersionDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(false);

  useEffect(() => {
    flowsApi.versions(flowId).then((v) => setVersions(v as FlowVersion[]), () => setVersions([]));
  }, [flowId]);
  useEffect(() => {
    let alive = true;
    setError(null);
    historyApi.diff(flowId, from, to).then(
      (d) => {
        if (!alive) return;
        setDiff(d);
        setFrom(d.base.ref);
      },
      (e: Error) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [flowId, from, to]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);

  const { nodes, edges } = useMemo(() => {
    if (!diff) return { nodes: [] as DiffRFNode[], edges: [] as Edge[] };
    const c = diffCanvas(diff);
    return {
      nodes: c.nodes.map<DiffRFNode>((n) => ({ id: n.id, type: 'diff', position: n.position, data: { label: n.label, type: n.type, kind: n.kind }, selected: n.id === focus })),
      edges: c.edges.map<Edge>((e) => ({ id: e.id, source: e.source, target: e.target, type: 'smoothstep', style: EDGE_STYLE[e.kind], animated: e.kind === 'added' })),
    };
  }, [diff, focus]);

  const shown = useMemo(() => {
    if (!diff || !focus) return diff?.diff;
    const d = diff.diff;
    const only = <T extends { id: string }>(xs: T[]) => xs.filter((x) => String(x.id) === focus);
    return { ...d, nodes_added: only(d.nodes_added), nodes_removed: only(d.nodes_removed), nodes_changed: only(d.nodes_changed), edges_added: [], edges_removed: [], document_changes: [] };
  }, [diff, focus]);

  const options = [{ ref: 'draft', text: 'Draft' }, ...versions.map((v) => ({ ref: String(v.number), text: `v${v.number} · ${v.state}${v.comment ? ` · ${v.comment.slice(0, 30)}` : ''}` }))];
  const restoreRef = from && from !== 'draft' ? from : to !== 'draft' ? to : null;

  const restore = async () => {
    if (!restoreRef) return;
    setRestoring(true);
    try {
      onRestored(await historyApi.restore(flowId, Number(restoreRef)));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRestoring(false);
    }
  };

  return (
    <div className="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog vdiff" role="dialog" aria-modal="true" aria-label="Compare versions" data-testid="version-diff">
        <header className="dialog-head">
          <h2>Compare versions</h2>
          <div className="row vdiff-pick">
            <label className="small">
              From{' '}
              <select value={from ?? ''} onChange={(e) => { setFocus(null); setFrom(e.target.value); }} data-testid="vdiff-from">
                {options.map((o) => <option key={o.ref} value={o.ref}>{o.text}</option>)}
              </select>
            </label>
            <span aria-hidden>→</span>
            <label className="small">
              To{' '}
              <select value={to} onChange={(e) => { setFocus(null); setTo(e.target.value); }} data-testid="vdiff-to">
                {options.map((o) => <option key={o.ref} value={o.ref}>{o.text}</option>)}
              </select>
            </label>
          </div>
          <button className="icon-btn" aria-label="Close" onClick={onClose}>×</button>
        </header>
        <div className="vdiff-body">
          <div className="vdiff-canvas" data-testid="vdiff-canvas">
            {diff ? (
              <ReactFlowProvider>
                <ReactFlow<DiffRFNode, Edge>
                  key={`${diff.base.ref}-${diff.head.ref}`}
                  nodes={nodes}
                  edges={edges}
                  nodeTypes={nodeTypes}
                  nodesDraggable={false}
                  nodesConnectable={false}
                  onNodeClick={(_, n) => setFocus((f) => (f === n.id ? null : n.id))}
                  onPaneClick={() => setFocus(null)}
                  fitView
                  fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
                  minZoom={0.1}
                  proOptions={{ hideAttribution: true }}
                >
                  <Background gap={20} size={1} />
                  <Controls showInteractive={false} />
                </ReactFlow>
              </ReactFlowProvider>
            ) : (
              <Spinner />
            )}
            <div className="vdiff-legend small">
              <span className="vdiff-key vdiff-added">added</span>
              <span className="vdiff-key vdiff-changed">changed</span>
              <span className="vdiff-key vdiff-removed">removed</span>
            </div>
          </div>
          <aside className="vdiff-side" data-testid="vdiff-changes">
            {error && <p className="error-text" role="alert">{error}</p>}
            {diff && (
              <>
                <p className="small muted">
                  {refLabel(diff.base.ref)} → {refLabel(diff.head.ref)}
                  {focus ? <> · node <code>{focus}</code> <button className="small ghost" onClick={() => setFocus(null)}>show all</button></> : ' · click a node for its changes'}
                </p>
                <DiffView diff={shown} testid="vdiff-list" />
              </>
            )}
          </aside>
        </div>
        <footer className="dialog-foot">
          {canRestore && restoreRef && (
            <button className="primary" onClick={() => void restore()} disabled={restoring} data-testid="vdiff-restore" title="The draft becomes this version; nothing is published until you publish.">
              {restoring ? <Spinner /> : `Restore v${restoreRef} as draft`}
            </button>
          )}
          <button onClick={onClose}>Close</button>
        </footer>
      </div>
    </div>
  );
}
