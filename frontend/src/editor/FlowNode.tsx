import { memo, useState } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { FlowRFNode, NoteRFNode } from '../store/reactflow';
import { inHandle, outHandle } from '../store/reactflow';
import { NodeIcon } from '../lib/icons';
import { useStore } from './storeContext';
import { PinnedBadge } from './PinnedBadge';
import { HandlePlus } from './addFromHandle';

function portTop(i: number, n: number): string {
  return `${((i + 1) / (n + 1)) * 100}%`;
}

function FlowNodeView({ id, data, selected }: NodeProps<FlowRFNode>) {
  const store = useStore();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(data.label);
  const hasErrors = data.severity === 'error';
  const hasFindings = data.messages.length > 0;
  const commit = () => {
    setEditing(false);
    if (draft.trim() && draft !== data.label) store.renameNode(id, draft);
  };
  return (
    <div
      className={`fnode status-${data.status}${selected ? ' is-selected' : ''}${data.disabled ? ' is-disabled' : ''}${hasErrors ? ' has-errors' : ''}`}
      data-testid={`node-${id}`}
      data-status={data.status}
      data-type={data.type}
      data-disabled={data.disabled ? 'true' : 'false'}
    >
      {data.inputs.map((p, i) => (
        <Handle
          key={`in-${p.name}`}
          type="target"
          position={Position.Left}
          id={inHandle(p.name)}
          style={{ top: portTop(i, data.inputs.length) }}
          data-testid={`handle-${id}-in-${p.name}`}
          title={`input: ${p.label}`}
        />
      ))}
      <div className={`fnode-icon cat-${data.category.toLowerCase().replace(/[^a-z]/g, '')}`}>
        <NodeIcon name={data.icon} label={data.typeLabel} />
      </div>
      <div className="fnode-text">
        {editing ? (
          <input
            className="fnode-rename nodrag"
            autoFocus
            value={draft}
            data-testid={`node-rename-${id}`}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={commit}
            onKeyDown={(e) => {
              e.stopPropagation();
              if (e.key === 'Enter') commit();
              if (e.key === 'Escape') {
                setDraft(data.label);
                setEditing(false);
              }
            }}
          />
        ) : (
          <div
            className="fnode-label"
            data-testid={`node-label-${id}`}
            title="Double-click to rename"
            onDoubleClick={(e) => {
              if (data.readOnly) return;
              e.stopPropagation();
              setDraft(data.label);
              setEditing(true);
            }}
          >
            {data.label}
          </div>
        )}
        <div className="fnode-type">
          {/* "If · If" read badly: a node still named after its type shows its category instead. */}
          {data.label === data.typeLabel ? data.category : data.typeLabel}
          {data.disabled && ' · disabled'}
        </div>
      </div>
      {(data.inCount !== null || data.outCount !== null) && (
        <div className="fnode-counts" data-testid={`node-counts-${id}`} title="items in → out">
          {data.inCount ?? 0}→{data.outCount ?? 0}
          {data.attempt && data.attempt > 1 ? ` · try ${data.attempt}` : ''}
        </div>
      )}
      <PinnedBadge nodeId={id} />
      {hasFindings && (
        <div className={`fnode-badge${hasErrors ? '' : ' is-warning'}`} data-testid={`node-errors-${id}`} data-severity={data.severity ?? ''} title={data.messages.join('\n')}>
          {data.messages.length}
          <div className="fnode-badge-pop" role="tooltip">
            {data.messages.map((m, i) => (
              <div key={i}>{m}</div>
            ))}
          </div>
        </div>
      )}
      {!data.readOnly && data.outputs.map((p, i) => <HandlePlus key={`plus-${p.name}`} nodeId={id} port={p.name} top={portTop(i, data.outputs.length)} />)}
      {data.outputs.map((p, i) => (
        <Handle
          key={`out-${p.name}`}
          type="source"
          position={Position.Right}
          id={outHandle(p.name)}
          style={{ top: portTop(i, data.outputs.length) }}
          className={p.name === 'error' ? 'handle-error' : undefined}
          data-testid={`handle-${id}-out-${p.name}`}
          title={`output: ${p.label}`}
        >
          {data.outputs.length > 1 && <span className="handle-label">{p.label}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const FlowNode = memo(FlowNodeView);

function NoteNodeView({ id, data, selected }: NodeProps<NoteRFNode>) {
  const store = useStore();
  const [editing, setEditing] = useState(false);
  return (
    <div className={`note${selected ? ' is-selected' : ''}`} data-testid={`note-${id}`} onDoubleClick={() => !data.readOnly && setEditing(true)}>
      {editing ? (
        <textarea
          className="nodrag nowheel"
          autoFocus
          defaultValue={data.text}
          data-testid={`note-text-${id}`}
          onKeyDown={(e) => e.stopPropagation()}
          onBlur={(e) => {
            setEditing(false);
            if (e.target.value !== data.text) store.updateNote(id, { text: e.target.value });
          }}
        />
      ) : (
        <div className="note-text">{data.text || <span className="muted">Double-click to write a note</span>}</div>
      )}
    </div>
  );
}

export const NoteNode = memo(NoteNodeView);
