import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EnvironmentWebhooks, FlowEnvironmentBadges } from '../environments/EnvironmentBadge';
import { Link, useParams } from 'react-router';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { ApiError } from '../api/client';
import { flowsApi } from '../api/flows';
import type { FlowDetail, FlowVersion, Item, NodeType } from '../api/types';
import { DocumentStore, isTerminalRun } from '../store/documentStore';
import { StoreContext, useEditor } from './storeContext';
import { Canvas, FIT_OPTIONS } from './Canvas';
import { Palette } from './Palette';
import { Inspector } from './Inspector';
import { PublishDialog, RunDialog, ShortcutsHelp, VersionsDrawer } from './dialogs';
import { useAutosave } from './useAutosave';
import { usePinSync } from './pinSync';
import { VersionDiffDialog } from './VersionDiff';
import { useRevealNode } from './useRevealNode';
import { useLiveRun } from '../runs/useLiveRun';
import { parseClipboard, serializeClipboard, readClipboard, writeClipboard } from '../graph/clipboard';
import { upstreamOf } from '../graph/connections';
import { useToast } from '../ui/toast';
import { EmptyState, Skeleton, Spinner, StatusBadge } from '../ui/bits';
import { clock } from '../lib/format';
import { downloadJson, readJsonFile } from '../lib/hooks';
import { useDismissDetails } from '../lib/useDismiss';

let typesPromise: Promise<NodeType[]> | null = null;
export function loadNodeTypes(): Promise<NodeType[]> {
  typesPromise ??= flowsApi.nodeTypes().catch((e) => {
    typesPromise = null;
    throw e;
  });
  return typesPromise;
}

function isEditable(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable || !!el.closest?.('.code-editor, .cm-editor');
}

/** What the user may do with the flow (the server decides from role and shares); older answers: all. */
function allowed(f: FlowDetail): { change: boolean; publish: boolean; run: boolean; role: string | null } {
  return f.permissions ?? { change: true, publish: true, run: true, role: null };
}

/** Why a button is disabled, in the user's terms. */
export function deniedReason(role: string | null, what: 'change' | 'publish' | 'run'): string {
  const as = role ? `As ${role === 'approver' || role === 'admin' || role === 'operator' ? 'an' : 'a'} ${role}` : 'With your access';
  const verb = { change: 'edit this flow', publish: 'publish it', run: 'run it' }[what];
  return `${as} you can view this flow but not ${verb}. Ask an admin of the organisation for the builder role.`;
}

export function EditorPage() {
  const { id } = useParams();
  const flowId = Number(id);
  const [flow, setFlow] = useState<FlowDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const store = useMemo(() => new DocumentStore(), []);

  useEffect(() => {
    let alive = true;
    setFlow(null);
    setError(null);
    Promise.all([loadNodeTypes(), flowsApi.get(flowId)]).then(
      ([types, f]) => {
        if (!alive) return;
        store.setNodeTypes(types);
        store.clearRun();
        store.load(f);
        store.setReadOnly(!allowed(f).change);
        setFlow(f);
      },
      (e: Error) => alive && setError(e instanceof ApiError && e.status === 404 ? 'This flow does not exist or you cannot see it.' : e.message),
    );
    return () => {
      alive = false;
    };
  }, [flowId, store]);

  if (error) return <EmptyState title="Could not open the flow" body={error} action={<Link to="/">Back to flows</Link>} testid="editor-error" />;
  if (!flow)
    return (
      <div className="editor-loading" data-testid="editor-loading">
        <Skeleton rows={3} />
        <Spinner label="Loading flow" />
      </div>
    );
  return (
    <StoreContext.Provider value={store}>
      <ReactFlowProvider>
        <EditorShell key={flowId} flow={flow} store={store} />
      </ReactFlowProvider>
    </StoreContext.Provider>
  );
}

function SaveIndicator() {
  const save = useEditor((s) => s.save);
  const text: Record<string, string> = {
    clean: 'All changes saved',
    dirty: 'Unsaved changes',
    saving: 'Saving…',
    saved: `Saved ${save.savedAt ? clock(save.savedAt).split(', ').pop() : ''}`,
    error: 'Not saved',
    conflict: 'Conflict',
  };
  return (
    <span className={`save-status save-${save.status}`} data-testid="save-status" data-status={save.status} title={save.error ?? `revision ${save.revision}`}>
      {save.status === 'saving' && <Spinner />}
      {text[save.status]}
    </span>
  );
}

function ConflictBanner({ onReload, onOverwrite }: { onReload: () => void; onOverwrite: () => void }) {
  const conflict = useEditor((s) => s.save.conflict);
  if (!conflict) return null;
  return (
    <div className="banner banner-warn" role="alert" data-testid="conflict-banner">
      <span>
        <strong>{conflict.saved_by ?? 'Someone'}</strong> saved this flow {conflict.saved_at ? `at ${clock(conflict.saved_at)}` : 'meanwhile'} (revision {conflict.revision}). Your
        changes are not saved.
      </span>
      <span className="row gap-s">
        <button onClick={onReload} data-testid="conflict-reload">
          Reload their version
        </button>
        <button className="danger" onClick={onOverwrite} data-testid="conflict-overwrite">
          Overwrite with mine
        </button>
      </span>
    </div>
  );
}

function RunBar({ onClear }: { onClear: () => void }) {
  const run = useEditor((s) => s.run);
  if (!run) return null;
  const counts = Object.values(run.nodes);
  return (
    <div className="runbar" data-testid="run-bar" data-status={run.status}>
      <StatusBadge status={run.status} />
      <Link to={`/runs/${run.id}`}>Run #{run.id}</Link>
      <span className="muted small">
        {counts.filter((n) => n.status === 'succeeded').length} succeeded · {counts.filter((n) => n.status === 'failed').length} failed
      </span>
      {isTerminalRun(run.status) && (
        <button className="small ghost" onClick={onClear}>
          Clear
        </button>
      )}
    </div>
  );
}

function EditorShell({ flow, store }: { flow: FlowDetail; store: DocumentStore }) {
  const toast = useToast();
  const rf = useReactFlow();
  const flowId = flow.id;
  const [name, setName] = useState(flow.name);
  const [dialog, setDialog] = useState<'run' | 'publish' | 'help' | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [compareFrom, setCompareFrom] = useState<string | null>(null);
  const [runId, setRunId] = useState<number | null>(null);
  const importRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLDivElement>(null);
  const selection = useEditor((s) => s.selection);
  const canUndo = useEditor((s) => s.canUndo);
  const canRedo = useEditor((s) => s.canRedo);
  const empty = useEditor((s) => s.document.nodes.length === 0);
  const types = useMemo(() => [...store.nodeTypes.values()], [store]);
  const onError = useCallback((t: string, h: string) => toast.error(t, h), [toast]);
  const save = useAutosave(store, flowId, onError);
  const socket = useLiveRun(store, runId);
  const may = allowed(flow);
  const moreRef = useRef<HTMLDetailsElement>(null);
  useDismissDetails(moreRef);

  usePinSync(store, flowId, onError); // pinned data lives on the server with the draft

  const centre = useCallback(() => {
    const el = document.querySelector('.canvas');
    const r = el?.getBoundingClientRect();
    return rf.screenToFlowPosition({ x: (r?.left ?? 0) + (r?.width ?? 800) / 2, y: (r?.top ?? 0) + (r?.height ?? 600) / 2 });
  }, [rf]);

  const addAtCentre = useCallback(
    (type: string) => {
      const c = centre();
      const n = store.getState().document.nodes.length;
      store.addNode(type, { x: c.x - 110 + (n % 5) * 16, y: c.y - 36 + (n % 5) * 16 });
    },
    [store, centre],
  );

  const reload = useCallback(async () => {
    try {
      const f = await flowsApi.get(flowId);
      store.serverUpdate(f.draft.document, f.draft.revision, { savedBy: f.draft.saved_by, savedAt: f.draft.saved_at, findings: f.draft.findings });
      toast.info('Reloaded the latest saved version');
    } catch (e) {
      toast.error('Could not reload', (e as Error).message);
    }
  }, [flowId, store, toast]);

  const startRun = useCallback(
    async (body: { input?: Item | Item[]; only_node?: string; pinned?: Record<string, Item[]> }) => {
      const ok = await save();
      if (!ok && store.getState().save.status === 'conflict') {
        toast.error('Run not started', 'Resolve the save conflict first (Reload or Overwrite).');
        return;
      }
      try {
        const r = await flowsApi.run(flowId, { ...body, use_draft: true });
        store.runStarted(r.id);
        setRunId(r.id);
        toast.info(`Run #${r.id} started`, body.only_node ? 'Running one node with pinned data.' : undefined);
      } catch (e) {
        if (e instanceof ApiError && e.findings.length) {
          store.setFindings(e.findings);
          toast.error('Run not started', 'The draft has problems: fix the nodes marked red.');
        } else toast.error('Run not started', (e as Error).message);
      }
    },
    [flowId, save, store, toast],
  );

  const runNode = useCallback(
    (nodeId: string) => {
      const st = store.getState();
      const pinnedData: Record<string, Item[]> = {};
      for (const u of upstreamOf(st.document.edges, nodeId)) {
        const items = st.pinned[u] ?? Object.values(st.run?.nodeRuns[u]?.output_items ?? {}).flat();
        if (items.length) pinnedData[u] = items;
      }
      void startRun({ only_node: nodeId, pinned: pinnedData });
    },
    [store, startRun],
  );

  const publish = useCallback(
    async (comment: string) => {
      if (!(await save())) {
        toast.error('Not published', 'The draft could not be saved first.');
        return;
      }
      try {
        const v = await flowsApi.publish(flowId, comment);
        if (v.state === 'in_review') toast.success(`Version ${v.number} sent for review`, 'It goes live when an approver approves it (Reviews).');
        else toast.success(`Published version ${v.number}`);
        setDialog(null);
      } catch (e) {
        if (e instanceof ApiError && e.findings.length) {
          store.setFindings(e.findings);
          toast.error('Not published', 'Fix the nodes marked red, then publish again.');
          setDialog(null);
        } else toast.error('Not published', (e as Error).message);
      }
    },
    [flowId, save, store, toast],
  );

  const doImport = async (file: File | undefined) => {
    if (!file) return;
    try {
      const data = (await readJsonFile(file)) as { document?: unknown };
      store.importDocument(data.document ?? data);
      toast.success('Imported into the draft', 'Undo (Ctrl+Z) restores the previous graph.');
      window.setTimeout(() => rf.fitView(FIT_OPTIONS), 50);
    } catch (e) {
      toast.error('Import failed', (e as Error).message);
    } finally {
      if (importRef.current) importRef.current.value = '';
    }
  };

  const doExport = async () => {
    try {
      downloadJson(`${name.replace(/\W+/g, '_') || 'flow'}.json`, await flowsApi.export(flowId));
    } catch {
      downloadJson(`${name.replace(/\W+/g, '_') || 'flow'}.json`, { name, document: store.getState().document });
    }
  };

  const copy = useCallback(
    async (cut: boolean) => {
      const clip = store.copy();
      if (!clip.nodes.length && !clip.notes.length) return null;
      const text = serializeClipboard(clip);
      await writeClipboard(text);
      if (cut) store.deleteSelection();
      toast.info(`${cut ? 'Cut' : 'Copied'} ${clip.nodes.length} node${clip.nodes.length === 1 ? '' : 's'}`);
      return text;
    },
    [store, toast],
  );

  const paste = useCallback(
    (text: string | null) => {
      const clip = text ? parseClipboard(text) : null;
      if (!clip) return false;
      store.paste(clip);
      return true;
    },
    [store],
  );

  // Keyboard shortcuts and clipboard events (skipped while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 's') {
        e.preventDefault();
        void save();
        return;
      }
      if (mod && e.key === 'Enter') {
        e.preventDefault();
        if (may.run) setDialog('run');
        return;
      }
      if (isEditable(e.target) || document.querySelector('.backdrop')) return;
      if (mod && k === 'z' && !e.shiftKey) {
        e.preventDefault();
        store.undo();
      } else if (mod && ((k === 'z' && e.shiftKey) || k === 'y')) {
        e.preventDefault();
        store.redo();
      } else if (mod && k === 'g') {
        e.preventDefault();
        const sel = store.getState().selection;
        if (e.shiftKey) store.ungroup();
        else if (sel.nodes.length) store.groupSelection();
      } else if (mod && k === 'd') {
        e.preventDefault();
        store.duplicate();
      } else if (mod && k === 'a') {
        e.preventDefault();
        store.selectAll();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        store.deleteSelection();
      } else if (e.key === '?') {
        setDialog('help');
      } else if (e.key === 'Escape') {
        store.select({});
      } else if (!mod && !e.altKey && e.key === 'L' && e.shiftKey) {
        store.autoLayout();
        window.setTimeout(() => rf.fitView({ ...FIT_OPTIONS, duration: 200 }), 30);
      } else if (!mod && !e.altKey && k === 'd' && !e.shiftKey) {
        store.toggleDisabled(store.getState().selection.nodes);
      } else if (!mod && !e.altKey && k === 'n' && !e.shiftKey) {
        const c = centre();
        store.addNote({ x: c.x - 110, y: c.y - 70 });
      } else if (e.key === '/') {
        e.preventDefault();
        document.getElementById('palette-search')?.focus();
      } else if (e.key === 'F2') {
        const sel = store.getState().selection.nodes;
        if (sel.length === 1) document.querySelector<HTMLElement>(`[data-testid="node-label-${sel[0]}"]`)?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
      }
    };
    const onCopy = (e: ClipboardEvent) => {
      if (isEditable(e.target) || document.querySelector('.backdrop')) return;
      const clip = store.copy();
      if (!clip.nodes.length && !clip.notes.length) return;
      const text = serializeClipboard(clip);
      e.clipboardData?.setData('text/plain', text);
      e.preventDefault();
      void writeClipboard(text);
      if (e.type === 'cut') store.deleteSelection();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target) || document.querySelector('.backdrop')) return;
      const text = e.clipboardData?.getData('text/plain') ?? '';
      e.preventDefault();
      if (!paste(text)) void readClipboard().then((t) => paste(t));
    };
    window.addEventListener('keydown', onKey);
    document.addEventListener('copy', onCopy);
    document.addEventListener('cut', onCopy);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      document.removeEventListener('copy', onCopy);
      document.removeEventListener('cut', onCopy);
      document.removeEventListener('paste', onPaste);
    };
  }, [store, save, paste, centre, rf, may.run]);

  const selectedNode = selection.nodes.length === 1 && selection.edges.length <= 1 ? selection.nodes[0] : null;
  const count = selection.nodes.length + selection.notes.length;
  const groupsSelected = selection.groups ?? [];
  const docGroups = useEditor((s) => s.document.groups);
  const groupView = useEditor((s) => s.groupView);
  const allCollapsed = groupsSelected.every((g) => groupView[g] ?? !!docGroups?.find((x) => x.id === g)?.collapsed);
  useRevealNode(selectedNode, bodyRef);

  return (
    <div className="editor" data-testid="editor" data-flow-id={flowId}>
      <div className="toolbar" role="toolbar" aria-label="Flow actions">
        <Link to="/" className="ghost small" aria-label="Back to flows">
          ←
        </Link>
        <input
          className="flow-name"
          value={name}
          aria-label="Flow name"
          data-testid="flow-name"
          onChange={(e) => setName(e.target.value)}
          onBlur={() => {
            if (name.trim() && name !== flow.name)
              flowsApi.patch(flowId, { name: name.trim() }).then(
                () => toast.success('Renamed'),
                (e: Error) => toast.error('Could not rename', e.message),
              );
          }}
        />
        <SaveIndicator />
        <div className="toolbar-group">
          <button className="icon-btn" onClick={() => store.undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo" aria-label="Undo">
            ↶
          </button>
          <button className="icon-btn" onClick={() => store.redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo" aria-label="Redo">
            ↷
          </button>
          <button className="small" onClick={() => { store.autoLayout(); window.setTimeout(() => rf.fitView({ ...FIT_OPTIONS, duration: 200 }), 30); }} title="Auto-layout (Shift+L)" data-testid="auto-layout">
            Tidy up
          </button>
          <button className="small" onClick={() => { const c = centre(); store.addNote({ x: c.x - 110, y: c.y - 70 }); }} title="Sticky note (N)" data-testid="add-note">
            Note
          </button>
          {count > 0 && (
            <>
              <span className="toolbar-sep" />
              <button className="small" onClick={() => store.duplicate()} data-testid="duplicate" title="Duplicate (Ctrl+D)">Duplicate</button>
              <button className="small" onClick={() => store.toggleDisabled(selection.nodes)} data-testid="toggle-disabled" title="Enable/disable (D)">Disable</button>
              <button className="small danger-ghost" onClick={() => store.deleteSelection()} data-testid="delete" title="Delete (Del)">Delete</button>
            </>
          )}
          {(selection.nodes.length > 0 || groupsSelected.length > 0) && <span className="toolbar-sep" />}
          {selection.nodes.length > 0 && (
            <button className="small" onClick={() => store.groupSelection()} data-testid="group" title="Group the selected nodes (Ctrl+G)">Group</button>
          )}
          {groupsSelected.length > 0 && (
            <>
              <button className="small" onClick={() => groupsSelected.forEach((g) => store.toggleGroup(g))} data-testid="toggle-group" title="Collapse or expand (double-click a collapsed group)">
                {allCollapsed ? 'Expand' : 'Collapse'}
              </button>
              <button className="small" onClick={() => store.ungroup()} data-testid="ungroup" title="Ungroup: the nodes stay (Ctrl+Shift+G)">Ungroup</button>
            </>
          )}
        </div>
        <div className="toolbar-group right">
          <input ref={importRef} type="file" accept=".json,application/json" hidden data-testid="import-file" onChange={(e) => void doImport(e.target.files?.[0])} />
          <details className="menu" data-testid="more-menu" ref={moreRef}>
            <summary className="small">More ▾</summary>
            <div className="menu-pop" onClick={(e) => (e.currentTarget.parentElement as HTMLDetailsElement).removeAttribute('open')}>
              <button className="small ghost" onClick={() => void copy(false)} disabled={count === 0} data-testid="copy">Copy selection</button>
              <button className="small ghost" onClick={() => void readClipboard().then((t) => paste(t) || toast.info('Nothing to paste', 'Copy nodes first (Ctrl+C).'))} data-testid="paste">Paste</button>
              <button className="small ghost" onClick={() => importRef.current?.click()} data-testid="import">Import JSON…</button>
              <button className="small ghost" onClick={() => void doExport()} data-testid="export">Export JSON</button>
            </div>
          </details>
          <FlowEnvironmentBadges flowId={flowId} />
          <button className="small ghost" onClick={() => setVersionsOpen((v) => !v)} data-testid="versions">Versions</button>
          <button className="small ghost" onClick={() => setDialog('help')} title="Shortcuts (?)" data-testid="shortcuts" aria-label="Keyboard shortcuts">?</button>
          <button className="small" onClick={() => setDialog('publish')} data-testid="publish" disabled={!may.publish} title={may.publish ? 'Publish' : deniedReason(may.role, 'publish')}>Publish</button>
          <button className="primary" onClick={() => setDialog('run')} data-testid="run-button" disabled={!may.run} title={may.run ? 'Run (Ctrl+Enter)' : deniedReason(may.role, 'run')}>
            ▶ Run
          </button>
        </div>
      </div>
      {!may.change && (
        <div className="banner banner-info" role="status" data-testid="read-only-banner">
          Read-only: {deniedReason(may.role, 'change')}
        </div>
      )}
      <ConflictBanner onReload={() => void reload()} onOverwrite={() => void save(true)} />
      <RunBar onClear={() => { store.clearRun(); setRunId(null); }} />
      {socket === 'reconnecting' && <div className="banner banner-info" data-testid="ws-reconnecting">Live updates interrupted — reconnecting…</div>}
      <div ref={bodyRef} className={`editor-body${versionsOpen ? ' with-drawer' : ''}${may.change ? '' : ' no-palette'}`}>
        {may.change && <Palette types={types} onAdd={addAtCentre} />}
        <div className="canvas-wrap">
          <Canvas readOnly={!may.change} />
          {empty && (
            <div className="canvas-empty" data-testid="canvas-empty">
              <h3>Start with a trigger</h3>
              <p>Drag a node from the palette, or click it to add it here. Press ? for shortcuts.</p>
            </div>
          )}
        </div>
        {selectedNode ? (
          <Inspector key={selectedNode} nodeId={selectedNode} onRunNode={may.run ? runNode : undefined} readOnly={!may.change} />
        ) : (
          <aside className="inspector inspector-empty" data-testid="inspector-empty">
            <h3>{count > 1 ? `${count} items selected` : groupsSelected.length ? 'Group selected' : 'Nothing selected'}</h3>
            <p className="muted small">
              {count > 1
                ? 'Copy, duplicate, disable, delete or group them (Ctrl+G) from the toolbar.'
                : groupsSelected.length
                  ? 'Collapse it to one node or expand it with its ▸/▾ button, rename it by double-clicking its name, or ungroup it (the nodes stay).'
                  : 'Select a node to edit its settings, map fields and see its output.'}
            </p>
            <EnvironmentWebhooks flowId={flowId} fallback={flow.webhook_url} />
          </aside>
        )}
        {versionsOpen && (
          <VersionsDrawer
            flowId={flowId}
            onClose={() => setVersionsOpen(false)}
            onLoad={(v: FlowVersion) => {
              if (!v.document) return;
              store.importDocument(v.document);
              toast.success(`Loaded version ${v.number} into the draft`, 'Undo (Ctrl+Z) to go back.');
            }}
            onCompare={(n) => setCompareFrom(String(n))}
          />
        )}
        {compareFrom !== null && (
          <VersionDiffDialog
            flowId={flowId}
            initialFrom={compareFrom}
            canRestore={!store.getState().readOnly}
            onClose={() => setCompareFrom(null)}
            onRestored={(f) => {
              store.serverUpdate(f.draft.document, f.draft.revision, { savedBy: f.draft.saved_by, savedAt: f.draft.saved_at, findings: f.draft.findings });
              setCompareFrom(null);
              toast.success('Version restored as the draft', 'Nothing is published until you publish it.');
            }}
          />
        )}
      </div>
      {dialog === 'run' && <RunDialog onClose={() => setDialog(null)} onRun={(input) => startRun({ input })} />}
      {dialog === 'publish' && <PublishDialog onClose={() => setDialog(null)} onPublish={publish} />}
      {dialog === 'help' && <ShortcutsHelp onClose={() => setDialog(null)} />}
    </div>
  );
}
