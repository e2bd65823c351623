// The saga in the inspector: which action undoes this node's side effect if a later step fails finally.
import { useState } from 'react';
import type { DocNode, JSONValue, NodeType } from '../api/types';
import { useStore } from './storeContext';

/** Parse the undo action's settings; a clear message instead of saving broken JSON. */
export function parseUndoConfig(text: string): { config?: Record<string, JSONValue>; error?: string } {
  if (!text.trim()) return { config: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { error: 'The settings must be a JSON object, e.g. {"record_id": "{{ $item.id }}"}.' };
    }
    return { config: value as Record<string, JSONValue> };
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
}

/** Node types that can undo something: actions with side effects (no triggers). */
export function undoCandidates(types: Iterable<NodeType>): NodeType[] {
  return [...types].filter((t) => t.side_effects && !t.is_trigger).sort((a, b) => a.label.localeCompare(b.label));
}

export function CompensationSection({ node }: { node: DocNode }) {
  const store = useStore();
  const current = node.compensation;
  const [text, setText] = useState(() => JSON.stringify(current?.config ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  const candidates = undoCandidates(store.nodeTypes.values());
  const setType = (type: string) => {
    if (!type) {
      store.updateNode(node.id, { compensation: undefined });
      return;
    }
    const parsed = parseUndoConfig(text);
    store.updateNode(node.id, { compensation: { ...current, type, config: parsed.config ?? current?.config ?? {} } });
  };
  const setConfig = (value: string) => {
    setText(value);
    const parsed = parseUndoConfig(value);
    setError(parsed.error ?? null);
    if (parsed.config && current) store.updateNode(node.id, { compensation: { ...current, config: parsed.config } }, `undo:${node.id}`);
  };
  return (
    <fieldset className="subsection" data-testid="inspector-compensation">
      <legend>Undo on final failure</legend>
      <p className="muted small">
        If a later step fails for good, completed steps are undone in reverse order. The undo action runs on this node's
        output items (<code>{'{{ $item.id }}'}</code>), with retries like any step.
      </p>
      <label className="field">
        <span>Undo with</span>
        <select value={current?.type ?? ''} data-testid="compensation-type" onChange={(e) => setType(e.target.value)}>
          <option value="">Nothing (not undone)</option>
          {candidates.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      {current && (
        <label className="field">
          <span>Its settings (JSON)</span>
          <textarea rows={4} value={text} data-testid="compensation-config" spellCheck={false} onChange={(e) => setConfig(e.target.value)} />
          {error && <span className="small error-text" role="alert">{error}</span>}
        </label>
      )}
    </fieldset>
  );
}
