import { useEffect, useState } from 'react';
import { flowsApi } from '../api/flows';
import type { FlowVersion, Item } from '../api/types';
import { Dialog, EmptyState, Skeleton, Spinner } from '../ui/bits';
import { CodeEditor } from './CodeEditor';
import { clock } from '../lib/format';

export function RunDialog({ onClose, onRun }: { onClose: () => void; onRun: (input: Item | Item[]) => Promise<void> }) {
  const [text, setText] = useState(() => window.sessionStorage.getItem('fb.runInput') ?? '{}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    let input: unknown;
    try {
      input = JSON.parse(text || '{}');
    } catch (e) {
      setError(`Input is not valid JSON: ${(e as Error).message}`);
      return;
    }
    const ok = Array.isArray(input) ? input.every((x) => x && typeof x === 'object' && !Array.isArray(x)) : !!input && typeof input === 'object';
    if (!ok) {
      setError('Input must be a JSON object (one item) or a list of objects.');
      return;
    }
    window.sessionStorage.setItem('fb.runInput', text);
    setBusy(true);
    try {
      await onRun(input as Item | Item[]);
      onClose();
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Run flow"
      onClose={onClose}
      testid="run-dialog"
      wide
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" onClick={() => void submit()} disabled={busy} data-testid="run-submit">
            {busy ? <Spinner /> : '▶ Run draft'}
          </button>
        </>
      }
    >
      <p className="muted small">Input items for the trigger (a JSON object or a list of objects). The current draft is saved, then run.</p>
      <CodeEditor mode="json" value={text} onChange={(v) => { setText(v); setError(null); }} testid="run-input" minLines={8} />
      {error && <p className="error-text" data-testid="run-input-error">{error}</p>}
    </Dialog>
  );
}

export function PublishDialog({ onClose, onPublish }: { onClose: () => void; onPublish: (comment: string) => Promise<void> }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title="Publish a version"
      onClose={onClose}
      testid="publish-dialog"
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button
            className="primary"
            data-testid="publish-submit"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void onPublish(comment).finally(() => setBusy(false));
            }}
          >
            {busy ? <Spinner /> : 'Publish'}
          </button>
        </>
      }
    >
      <label className="field">
        <span>What changed?</span>
        <textarea rows={4} value={comment} onChange={(e) => setComment(e.target.value)} data-testid="publish-comment" placeholder="e.g. Map the billing contact to the ERP customer" />
      </label>
    </Dialog>
  );
}

export function VersionsDrawer({ flowId, onClose, onLoad, onCompare }: { flowId: number; onClose: () => void; onLoad: (v: FlowVersion) => void; onCompare?: (number: number) => void }) {
  const [versions, setVersions] = useState<FlowVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState<number | null>(null);
  useEffect(() => {
    flowsApi.versions(flowId).then(setVersions, (e: Error) => setError(e.message));
  }, [flowId]);
  return (
    <aside className="drawer" data-testid="versions-drawer" aria-label="Versions">
      <header className="drawer-head">
        <h3>Versions</h3>
        <button className="icon-btn" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {error ? (
        <p className="error-text pad">Could not load versions: {error}</p>
      ) : !versions ? (
        <Skeleton rows={4} />
      ) : versions.length === 0 ? (
        <EmptyState title="No versions yet" body="Publish the draft to create version 1." />
      ) : (
        <ul className="version-list">
          {versions.map((v) => (
            <li key={v.id} data-testid={`version-${v.number}`}>
              <div className="row between">
                <strong>v{v.number}</strong>
                <span className={`pill pill-${v.state}`}>{v.state}</span>
              </div>
              {v.comment && <div className="small">{v.comment}</div>}
              <div className="muted small">
                {v.created_by ?? 'someone'} · {clock(v.created_at)}
              </div>
              <button
                className="small"
                disabled={loading !== null}
                onClick={() => {
                  setLoading(v.id);
                  flowsApi.version(v.id).then(
                    (full) => onLoad(full),
                    (e: Error) => setError(e.message),
                  ).finally(() => setLoading(null));
                }}
              >
                {loading === v.id ? <Spinner /> : 'Load into draft'}
              </button>
              {onCompare && (
                <button className="small ghost" onClick={() => onCompare(v.number)} data-testid={`version-compare-${v.number}`} title="See what changed between this version and the draft, on the canvas">
                  Compare…
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

export const SHORTCUTS: [string, string][] = [
  ['Ctrl/⌘ + S', 'Save draft now'],
  ['Ctrl/⌘ + Z', 'Undo'],
  ['Ctrl/⌘ + Shift + Z, Ctrl + Y', 'Redo'],
  ['Ctrl/⌘ + C / X / V', 'Copy / cut / paste nodes (as JSON, also between flows)'],
  ['Ctrl/⌘ + D', 'Duplicate selection'],
  ['Ctrl/⌘ + G', 'Group the selected nodes (name it, collapse it to one node)'],
  ['Ctrl/⌘ + Shift + G', 'Ungroup the selected group'],
  ['Ctrl/⌘ + A', 'Select all'],
  ['Delete / Backspace', 'Delete selection'],
  ['Shift + drag', 'Box-select'],
  ['Shift / Ctrl + click', 'Add to selection'],
  ['D', 'Enable / disable selected nodes'],
  ['F2', 'Rename selected node'],
  ['Shift + L', 'Auto-layout'],
  ['N', 'Add a sticky note'],
  ['/', 'Search the palette'],
  ['Ctrl/⌘ + Enter', 'Run the flow'],
  ['?', 'This help'],
  ['Esc', 'Clear selection / close dialogs'],
];

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} testid="shortcuts-help">
      <table className="table shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, d]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{d}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
