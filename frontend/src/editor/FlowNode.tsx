import { memo, useEffect, useRef, useState } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { FlowRFNode, GroupRFNode, NoteRFNode } from '../store/reactflow';
import { GROUP_IN, GROUP_OUT } from '../graph/groups';
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

const GROUP_STATUS_TEXT: Record<string, string> = {
  failed: 'failed', running: 'running', retrying: 'retrying', waiting: 'waiting', succeeded: 'succeeded', skipped: 'skipped', pending: 'pending',
};

/**
 * A group (React Flow's parent node of a sub flow): expanded, a labelled box behind its nodes; collapsed,
 * one compact node with the group's name, node count and (in a run) the members' status in one. Edges
 * into and out of a collapsed group end on its border handles, which take no new connections.
 */
function GroupNodeView({ id, data, selected }: NodeProps<GroupRFNode>) {
  const store = useStore();
  const [draft, setDraft] = useState(data.label);
  const commit = () => store.renameGroup(id, draft);
  const input = useRef<HTMLInputElement>(null);
  const editing = data.editing && !data.readOnly;
  useEffect(() => {
    if (!editing) return;
    // After React Flow has focused the newly selected group node: the name field takes the typing.
    const t = window.setTimeout(() => {
      input.current?.focus();
      input.current?.select();
    }, 30);
    return () => window.clearTimeout(t);
  }, [editing]);
  const toggle = (
    <button
      className="gnode-toggle nodrag"
      data-testid={`group-toggle-${id}`}
      aria-label={data.collapsed ? `Expand ${data.label}` : `Collapse ${data.label}`}
      title={data.collapsed ? 'Expand (show its nodes)' : 'Collapse to one node'}
      onClick={(e) => {
        e.stopPropagation();
        store.toggleGroup(id);
      }}
    >
      {data.collapsed ? '▸' : '▾'}
    </button>
  );
  const label = editing ? (
    <input
      ref={input}
      className="gnode-rename nodrag"
      value={draft}
      placeholder="Name this group"
      data-testid={`group-rename-${id}`}
      onChange={(e) => setDraft(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') commit();
        if (e.key === 'Escape') store.setEditingGroup(null);
      }}
    />
  ) : (
    <span
      className="gnode-label"
      data-testid={`group-label-${id}`}
      title={data.readOnly ? data.label : 'Double-click to rename'}
      onDoubleClick={(e) => {
        if (data.readOnly) return;
        e.stopPropagation();
        setDraft(data.label);
        store.setEditingGroup(id);
      }}
    >
      {data.label}
    </span>
  );
  const meta = `${data.count} node${data.count === 1 ? '' : 's'}${data.status !== 'idle' ? ` · ${data.done}/${data.count} done` : ''}`;
  return (
    <div
      className={`gnode${data.collapsed ? ' is-collapsed' : ''} status-${data.status}${selected ? ' is-selected' : ''}${data.severity === 'error' ? ' has-errors' : ''}`}
      data-testid={`group-${id}`}
      data-collapsed={data.collapsed ? 'true' : 'false'}
      data-status={data.status}
      onDoubleClick={() => data.collapsed && store.toggleGroup(id)}
    >
      {data.collapsed && (
        <Handle type="target" position={Position.Left} id={GROUP_IN} isConnectable={false} className="gnode-handle" data-testid={`group-in-${id}`} />
      )}
      <div className="gnode-head">
        {toggle}
        <div className="gnode-text">
          {label}
          <span className="gnode-meta" data-testid={`group-meta-${id}`}>
            {meta}
          </span>
        </div>
        {data.status !== 'idle' && (
          <span className={`gnode-status status-${data.status}`} data-testid={`group-status-${id}`}>
            {GROUP_STATUS_TEXT[data.status] ?? data.status}
          </span>
        )}
        {data.severity && <span className={`gnode-problems${data.severity === 'warning' ? ' is-warning' : ''}`} title="A node in this group has problems">!</span>}
      </div>
      {data.collapsed && (
        <Handle type="source" position={Position.Right} id={GROUP_OUT} isConnectable={false} className="gnode-handle" data-testid={`group-out-${id}`} />
      )}
    </div>
  );
}

export const GroupNode = memo(GroupNodeView);
