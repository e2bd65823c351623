/**
 * The editor's one document store (after n8n's workflowDocument store).
 *
 * Components read with `useEditor(selector)` and dispatch intents through the public methods. The
 * private `apply*` methods are the ONLY code that assigns `this.state`: local edits, undo/redo, drags,
 * server loads, save responses and websocket run events all go through them, so there is one path for
 * every change. The document is plain JSON (the server's shape); React Flow nodes/edges are derived in
 * ./reactflow.ts and carry JSON-only `data`.
 */
import type {
  ConflictBody, DocEdge, DocNode, Finding, FlowDetail, FlowDocument, FlowGroup, Item, JSONValue, NodeRun, NodeRunError,
  EventType, NodeRunStatus, NodeType, Position, RunDetail, RunEvent, RunStatus, SaveDraftResponse, StickyNote,
} from '../api/types';
import { checkConnection, type ConnectionCheck, type ProposedConnection } from '../graph/connections';
import { copySelection, prepareForPaste, parseClipboard, type ClipboardPayload } from '../graph/clipboard';
import { edgeId, newId } from '../graph/ids';
import { layoutPositions } from '../graph/layout';
import { groupIndex, groupNodes, memberMoves, pruneGroups, ungroup, updateGroup } from '../graph/groups';

export type SaveStatus = 'clean' | 'dirty' | 'saving' | 'saved' | 'error' | 'conflict';

export interface SaveState {
  status: SaveStatus;
  revision: number;
  savedAt: string | null;
  savedBy: string | null;
  conflict: ConflictBody | null;
  error: string | null;
}

/** How undoing a completed node goes when a later node failed finally (the run's saga). */
export type UndoState = 'compensating' | 'compensated' | 'compensation_failed';

export interface NodeRunState {
  status: NodeRunStatus;
  undo?: UndoState;
  attempt?: number;
  input_count?: number;
  output_counts?: Record<string, number>;
  duration_ms?: number | null;
  error?: NodeRunError | null;
}

export interface RunState {
  id: number;
  status: RunStatus;
  lastSeq: number;
  nodes: Record<string, NodeRunState>;
  /** Full node runs (input/output items) once fetched from /api/runs/{id}/. */
  nodeRuns: Record<string, NodeRun>;
}

export interface Selection {
  nodes: string[];
  edges: string[];
  notes: string[];
  /** Selected groups (their box or collapsed node), see ../graph/groups.ts. */
  groups?: string[];
}

export interface EditorState {
  flowId: number | null;
  document: FlowDocument;
  /** Bumped on every document change; `savedVersion` is the version the server has. */
  docVersion: number;
  savedVersion: number;
  save: SaveState;
  findings: Finding[];
  selection: Selection;
  measured: Record<string, { width: number; height: number }>;
  run: RunState | null;
  pinned: Record<string, Item[]>;
  canUndo: boolean;
  canRedo: boolean;
  readOnly: boolean;
  /** This viewer's collapsed/expanded state of a group where it differs from the document's (the run
   * view, or a collapsed group opened to show a selected node). Not saved. */
  groupView: Record<string, boolean>;
  /** The group whose name field is open (a new group asks for its name). */
  editingGroup: string | null;
}

export type Origin = 'local' | 'drag' | 'undo' | 'redo' | 'load' | 'server';

export const EMPTY_DOCUMENT: FlowDocument = { schema_version: 1, nodes: [], edges: [], notes: [] };
const EMPTY_SELECTION: Selection = { nodes: [], edges: [], notes: [] };
const HISTORY_LIMIT = 200;
const COALESCE_MS = 1000;
const TERMINAL_RUN: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * One undo step. `document` is the state to return to (documents are immutable and share their
 * unchanged nodes, so this is a reference, not a copy); `before`/`after` are the selections (ids) on
 * either side of the step: undo restores `before`, redo restores `after` (Figma/n8n behaviour).
 */
interface HistoryEntry {
  document: FlowDocument;
  before: Selection;
  after: Selection;
}

export function isTerminalRun(status: RunStatus | undefined): boolean {
  return !!status && TERMINAL_RUN.includes(status);
}

function initialState(readOnly = false): EditorState {
  return {
    flowId: null,
    document: EMPTY_DOCUMENT,
    docVersion: 0,
    savedVersion: 0,
    save: { status: 'clean', revision: 0, savedAt: null, savedBy: null, conflict: null, error: null },
    findings: [],
    selection: EMPTY_SELECTION,
    measured: {},
    run: null,
    pinned: {},
    canUndo: false,
    canRedo: false,
    readOnly,
    groupView: {},
    editingGroup: null,
  };
}

/** Groups of a raw document that name at least one of `ids` (the server refuses worse ones). */
function parseGroups(raw: unknown, ids: Set<string>): FlowGroup[] | undefined {
  const list = (raw as { groups?: unknown } | null)?.groups;
  if (!Array.isArray(list)) return undefined;
  const out: FlowGroup[] = [];
  for (const g of list) {
    if (!g || typeof g !== 'object' || typeof g.id !== 'string' || !Array.isArray(g.nodes)) continue;
    const nodes = g.nodes.filter((n: unknown): n is string => typeof n === 'string' && ids.has(n));
    if (!nodes.length) continue;
    out.push({ id: g.id, label: typeof g.label === 'string' ? g.label : 'Group', nodes, ...(g.collapsed ? { collapsed: true } : { collapsed: false }) });
  }
  return out.length ? out : undefined;
}

/** Normalises a document from the server, an import or the clipboard into the editor's shape. */
export function normaliseDocument(raw: unknown): FlowDocument {
  const parsed = parseClipboard(JSON.stringify(raw ?? {}));
  if (!parsed) throw new Error('Not a flow document: expected an object with a "nodes" list.');
  const nodes = parsed.nodes.map((n) => ({
    ...n,
    label: n.label ?? n.type,
    config: n.config ?? {},
    position: { x: Number(n.position.x) || 0, y: Number(n.position.y) || 0 },
  }));
  const edges = parsed.edges.map((e) => ({ ...e, id: e.id || edgeId(e.source, e.source_port, e.target, e.target_port) }));
  const groups = parseGroups(raw, new Set(nodes.map((n) => n.id)));
  return pruneGroups({ schema_version: 1, nodes, edges, notes: parsed.notes, ...(groups ? { groups } : {}) });
}

/** Config defaults from a JSON Schema's top-level property defaults. */
export function schemaDefaults(type: NodeType | undefined): Record<string, JSONValue> {
  const out: Record<string, JSONValue> = {};
  for (const [k, p] of Object.entries(type?.config_schema?.properties ?? {})) {
    if (p.default !== undefined) out[k] = structuredClone(p.default);
  }
  return out;
}

// What each event of the catalogue (EventType, generated from flowbuilder.execution.models.EventType) means
// for the run or its node. Records over every run.* and node.* type: a new event type fails to compile
// until it is given a meaning here.
const RUN_STATUS_OF: Record<Extract<EventType, `run.${string}`>, RunStatus> = {
  'run.queued': 'queued',
  'run.started': 'running',
  'run.waiting': 'waiting',
  'run.succeeded': 'succeeded',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
};
// A node event either moves the node's status, or (the saga) says how undoing the node goes.
const NODE_EVENT: Record<Extract<EventType, `node.${string}`>, { status: NodeRunStatus } | { undo: UndoState }> = {
  'node.started': { status: 'running' },
  'node.retrying': { status: 'retrying' },
  'node.waiting': { status: 'waiting' },
  'node.succeeded': { status: 'succeeded' },
  'node.failed': { status: 'failed' },
  'node.skipped': { status: 'skipped' },
  'node.compensating': { undo: 'compensating' },
  'node.compensated': { undo: 'compensated' },
  'node.compensation_failed': { undo: 'compensation_failed' },
};
const isRunEvent = (type: EventType): type is keyof typeof RUN_STATUS_OF => type in RUN_STATUS_OF;

function asError(e: unknown): NodeRunError | null {
  if (!e) return null;
  if (typeof e === 'string') return { message: e };
  if (typeof e === 'object' && 'message' in (e as object)) return e as NodeRunError;
  return { message: JSON.stringify(e) };
}

export class DocumentStore {
  private state: EditorState;
  private readonly listeners = new Set<() => void>();
  private past: HistoryEntry[] = [];
  private future: HistoryEntry[] = [];
  private lastCoalesce: { key: string; at: number } | null = null;
  private dragStart: { document: FlowDocument; selection: Selection } | null = null;
  private types = new Map<string, NodeType>();
  private pasteCount = 0;
  private readonly now: () => number;

  constructor(opts: { types?: NodeType[]; readOnly?: boolean; now?: () => number } = {}) {
    this.state = initialState(opts.readOnly);
    this.now = opts.now ?? (() => Date.now());
    if (opts.types) this.setNodeTypes(opts.types);
  }

  // ---------------------------------------------------------------- subscription (useSyncExternalStore)
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): EditorState => this.state;

  setNodeTypes(types: NodeType[]): void {
    this.types = new Map(types.map((t) => [t.type, t]));
  }

  nodeType(type: string): NodeType | undefined {
    return this.types.get(type);
  }

  get nodeTypes(): Map<string, NodeType> {
    return this.types;
  }

  // ---------------------------------------------------------------- the only mutators
  private applyState(patch: Partial<EditorState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of [...this.listeners]) l();
  }

  private applyDocument(next: FlowDocument, origin: Origin, opts: { coalesce?: string; selection?: Selection } = {}): void {
    const prev = this.state.document;
    if (next === prev && !opts.selection) return;
    const docVersion = this.state.docVersion + 1;
    // The step this local edit records (or extends, when coalesced); its `after` is set below.
    let step: HistoryEntry | null = null;
    if (origin === 'local') {
      const t = this.now();
      const merge = opts.coalesce && this.lastCoalesce?.key === opts.coalesce && t - this.lastCoalesce.at < COALESCE_MS;
      if (merge) step = this.past[this.past.length - 1] ?? null;
      else {
        step = { document: prev, before: this.state.selection, after: this.state.selection };
        this.pushPast(step);
      }
      this.lastCoalesce = opts.coalesce ? { key: opts.coalesce, at: t } : null;
      this.future = [];
    } else if (origin === 'drag') {
      // Position ticks while dragging: history is pushed once, when the drag ends (finishDrag).
    } else if (origin === 'load' || origin === 'server') {
      this.past = [];
      this.future = [];
      this.lastCoalesce = null;
    } else {
      this.lastCoalesce = null;
    }
    const keep = (ids: string[], exists: (id: string) => boolean) => ids.filter(exists);
    const nodeIds = new Set(next.nodes.map((n) => n.id));
    const edgeIds = new Set(next.edges.map((e) => e.id));
    const noteIds = new Set((next.notes ?? []).map((n) => n.id));
    const groupIds = new Set((next.groups ?? []).map((g) => g.id));
    const sel = opts.selection ?? this.state.selection;
    const kept: Selection = {
      nodes: keep(sel.nodes, (id) => nodeIds.has(id)),
      edges: keep(sel.edges, (id) => edgeIds.has(id)),
      notes: keep(sel.notes, (id) => noteIds.has(id)),
      ...(sel.groups?.length ? { groups: keep(sel.groups, (id) => groupIds.has(id)) } : {}),
    };
    // Unchanged selection and save state keep their identity: subscribers of `selection` / `save`
    // (the whole editor page) must not re-render on every drag tick.
    const sameSelection =
      kept.nodes.length === sel.nodes.length && kept.edges.length === sel.edges.length && kept.notes.length === sel.notes.length &&
      (kept.groups?.length ?? 0) === (sel.groups?.length ?? 0);
    if (step) step.after = sameSelection ? sel : kept;
    const saveStatus = this.state.save.status === 'conflict' ? 'conflict' : this.state.save.status === 'saving' ? 'saving' : 'dirty';
    this.applyState({
      document: next,
      docVersion,
      savedVersion: origin === 'load' || origin === 'server' ? docVersion : this.state.savedVersion,
      selection: sameSelection ? sel : kept,
      save:
        origin === 'load' || origin === 'server' || this.state.save.status === saveStatus
          ? this.state.save
          : { ...this.state.save, status: saveStatus },
      canUndo: this.past.length > 0,
      canRedo: this.future.length > 0,
    });
  }

  private applySelection(selection: Selection): void {
    this.applyState({ selection });
  }

  private applyMeasured(measured: EditorState['measured']): void {
    this.applyState({ measured });
  }

  private applySave(save: Partial<SaveState>, extra: Partial<EditorState> = {}): void {
    this.applyState({ save: { ...this.state.save, ...save }, ...extra });
  }

  private applyRun(run: RunState | null): void {
    this.applyState({ run });
  }

  private applyPinned(pinned: Record<string, Item[]>): void {
    this.applyState({ pinned });
  }

  private pushPast(entry: HistoryEntry): void {
    this.past.push(entry);
    if (this.past.length > HISTORY_LIMIT) this.past.shift();
  }

  // ---------------------------------------------------------------- helpers for intents
  private edit(mutate: (doc: FlowDocument) => FlowDocument | null, opts: { coalesce?: string; selection?: Selection } = {}): boolean {
    if (this.state.readOnly) return false;
    const changed = mutate(this.state.document);
    if (!changed) return false;
    const next = pruneGroups(changed); // a group never names a node that is gone
    this.applyDocument(next, 'local', opts);
    return true;
  }

  private allIds(): Set<string> {
    const d = this.state.document;
    return new Set([
      ...d.nodes.map((n) => n.id), ...d.edges.map((e) => e.id), ...(d.notes ?? []).map((n) => n.id), ...(d.groups ?? []).map((g) => g.id),
    ]);
  }

  // ---------------------------------------------------------------- server path
  /** A flow fetched from the API: document, revision and findings replace local state. */
  load(flow: Pick<FlowDetail, 'id' | 'draft'>): void {
    const doc = normaliseDocument(flow.draft.document);
    this.applyDocument(doc, 'load', { selection: EMPTY_SELECTION });
    this.applySave(
      { status: 'clean', revision: flow.draft.revision, savedAt: flow.draft.saved_at, savedBy: flow.draft.saved_by, conflict: null, error: null },
      { flowId: flow.id, findings: flow.draft.findings ?? [], groupView: {}, editingGroup: null },
    );
  }

  /** A newer document from the server (reload after a conflict, another tab's save via websocket). */
  serverUpdate(document: unknown, revision: number, meta: { savedBy?: string | null; savedAt?: string | null; findings?: Finding[] } = {}): void {
    this.applyDocument(normaliseDocument(document), 'server');
    this.applySave(
      { status: 'clean', revision, savedBy: meta.savedBy ?? null, savedAt: meta.savedAt ?? null, conflict: null, error: null },
      { findings: meta.findings ?? this.state.findings },
    );
  }

  /** Marks a save in flight; returns what to send. */
  beginSave(): { document: FlowDocument; revision: number; version: number } {
    this.applySave({ status: 'saving', error: null });
    return { document: this.state.document, revision: this.state.save.revision, version: this.state.docVersion };
  }

  saveSucceeded(res: SaveDraftResponse, versionSent: number): void {
    const dirty = this.state.docVersion !== versionSent;
    this.applySave(
      { status: dirty ? 'dirty' : 'saved', revision: res.revision, savedAt: res.saved_at, savedBy: res.saved_by, conflict: null, error: null },
      { savedVersion: versionSent, findings: res.findings ?? [] },
    );
  }

  saveConflict(body: ConflictBody): void {
    this.applySave({ status: 'conflict', conflict: body, error: null });
  }

  saveFailed(message: string, findings?: Finding[]): void {
    this.applySave({ status: 'error', error: message }, findings ? { findings } : {});
  }

  setFindings(findings: Finding[]): void {
    this.applyState({ findings });
  }

  get isDirty(): boolean {
    return this.state.docVersion !== this.state.savedVersion;
  }

  // ---------------------------------------------------------------- local edits
  addNode(typeName: string, position: Position): string | null {
    const type = this.types.get(typeName);
    const id = newId('n_', this.allIds());
    const sameType = this.state.document.nodes.filter((n) => n.type === typeName).length;
    const node: DocNode = {
      id,
      type: typeName,
      label: (type?.label ?? typeName) + (sameType ? ` ${sameType + 1}` : ''),
      position: { x: Math.round(position.x), y: Math.round(position.y) },
      config: schemaDefaults(type),
      ...(type?.default_retry ? { retry: { ...type.default_retry } } : {}),
      on_error: 'fail',
    };
    const ok = this.edit((d) => ({ ...d, nodes: [...d.nodes, node] }), { selection: { nodes: [id], edges: [], notes: [] } });
    return ok ? id : null;
  }

  /** Validates and adds an edge. Returns the check so the canvas can show the reason in a toast. */
  connect(conn: ProposedConnection): ConnectionCheck {
    if (this.state.readOnly) return { ok: false, reason: 'This view is read-only.' };
    const d = this.state.document;
    const check = checkConnection(conn, d.nodes, d.edges, this.types);
    if (!check.ok) return check;
    const sp = conn.sourceHandle ?? 'main';
    const tp = conn.targetHandle ?? 'main';
    const edge: DocEdge = { id: edgeId(conn.source!, sp, conn.target!, tp), source: conn.source!, source_port: sp, target: conn.target!, target_port: tp };
    this.edit((doc) => ({ ...doc, edges: [...doc.edges, edge] }));
    return check;
  }

  checkConnection(conn: ProposedConnection): ConnectionCheck {
    const d = this.state.document;
    return checkConnection(conn, d.nodes, d.edges, this.types);
  }

  updateNode(id: string, patch: Partial<Omit<DocNode, 'id'>>, coalesce?: string): void {
    this.edit(
      (d) => {
        if (!d.nodes.some((n) => n.id === id)) return null;
        let edges = d.edges;
        // Turning the error port off drops edges that used it.
        if (patch.on_error && patch.on_error !== 'error_port') edges = edges.filter((e) => !(e.source === id && e.source_port === 'error'));
        return { ...d, edges, nodes: d.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)) };
      },
      { coalesce: coalesce ?? `node:${id}:${Object.keys(patch).join(',')}` },
    );
  }

  updateConfig(id: string, config: Record<string, JSONValue>): void {
    this.updateNode(id, { config }, `config:${id}`);
  }

  renameNode(id: string, label: string): void {
    const trimmed = label.trim();
    if (trimmed) this.updateNode(id, { label: trimmed }, `rename:${id}:${this.now()}`);
  }

  setDisabled(ids: string[], disabled: boolean): void {
    const set = new Set(ids);
    this.edit((d) => ({ ...d, nodes: d.nodes.map((n) => (set.has(n.id) ? { ...n, disabled } : n)) }));
  }

  toggleDisabled(ids: string[]): void {
    const nodes = this.state.document.nodes.filter((n) => ids.includes(n.id));
    if (nodes.length) this.setDisabled(ids, !nodes.every((n) => n.disabled));
  }

  removeElements(sel: Partial<Selection>): void {
    const nodes = new Set(sel.nodes ?? []);
    const edges = new Set(sel.edges ?? []);
    const notes = new Set(sel.notes ?? []);
    const groups = new Set(sel.groups ?? []);
    if (!nodes.size && !edges.size && !notes.size && !groups.size) return;
    // Deleting a group removes the box only: its nodes stay (Ungroup).
    this.edit((d) => ({
      ...(groups.size ? ungroup(d, [...groups]) ?? d : d),
      nodes: d.nodes.filter((n) => !nodes.has(n.id)),
      edges: d.edges.filter((e) => !edges.has(e.id) && !nodes.has(e.source) && !nodes.has(e.target)),
      notes: (d.notes ?? []).filter((n) => !notes.has(n.id)),
    }));
  }

  deleteSelection(): void {
    this.removeElements(this.state.selection);
  }

  copy(sel: Partial<Selection> = this.state.selection): ClipboardPayload {
    return copySelection(this.state.document, sel.nodes ?? [], sel.notes ?? []);
  }

  /** Pastes with new ids. `at` puts the pasted group's top-left corner there; else it is offset. */
  paste(clip: ClipboardPayload, at?: Position): string[] {
    if (!clip.nodes.length && !clip.notes.length) return [];
    this.pasteCount += 1;
    let offset = { x: 40 * this.pasteCount, y: 40 * this.pasteCount };
    if (at) {
      const xs = [...clip.nodes, ...clip.notes].map((n) => n.position.x);
      const ys = [...clip.nodes, ...clip.notes].map((n) => n.position.y);
      offset = { x: Math.round(at.x - Math.min(...xs)), y: Math.round(at.y - Math.min(...ys)) };
    }
    const prepared = prepareForPaste(clip, this.allIds(), offset);
    const ids = prepared.nodes.map((n) => n.id);
    this.edit(
      (d) => ({ ...d, nodes: [...d.nodes, ...prepared.nodes], edges: [...d.edges, ...prepared.edges], notes: [...(d.notes ?? []), ...prepared.notes] }),
      { selection: { nodes: ids, edges: prepared.edges.map((e) => e.id), notes: prepared.notes.map((n) => n.id) } },
    );
    return ids;
  }

  duplicate(sel: Partial<Selection> = this.state.selection): string[] {
    const clip = this.copy(sel);
    const prepared = prepareForPaste(clip, this.allIds(), { x: 40, y: 40 });
    if (!prepared.nodes.length && !prepared.notes.length) return [];
    this.edit(
      (d) => ({ ...d, nodes: [...d.nodes, ...prepared.nodes], edges: [...d.edges, ...prepared.edges], notes: [...(d.notes ?? []), ...prepared.notes] }),
      { selection: { nodes: prepared.nodes.map((n) => n.id), edges: [], notes: prepared.notes.map((n) => n.id) } },
    );
    return prepared.nodes.map((n) => n.id);
  }

  /** Replaces the whole document from imported JSON (undoable). Throws with a readable message. */
  importDocument(raw: unknown): void {
    const doc = normaliseDocument(raw);
    this.edit(() => doc, { selection: EMPTY_SELECTION });
  }

  autoLayout(): void {
    const d = this.state.document;
    const pos = layoutPositions(d.nodes, d.edges, this.state.measured, {}, d.groups ?? []);
    this.edit((doc) => ({ ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: pos[n.id] ?? n.position })) }));
  }

  addNote(position: Position, text = ''): string | null {
    const id = newId('note_', this.allIds());
    const note: StickyNote = { id, text, position: { x: Math.round(position.x), y: Math.round(position.y) }, width: 220, height: 140 };
    // Selected, so it shows above the nodes it lands on (a selected note is raised) and takes the typing.
    const selection = { nodes: [], edges: [], notes: [id] };
    return this.edit((d) => ({ ...d, notes: [...(d.notes ?? []), note] }), { selection }) ? id : null;
  }

  updateNote(id: string, patch: Partial<Omit<StickyNote, 'id'>>): void {
    this.edit((d) => ({ ...d, notes: (d.notes ?? []).map((n) => (n.id === id ? { ...n, ...patch } : n)) }), { coalesce: `note:${id}` });
  }

  /** Node moves from the canvas. While `dragging`, history is not pushed per tick. */
  moveNodes(moves: { id: string; position: Position }[], dragging: boolean): void {
    if (this.state.readOnly) return;
    const d0 = this.state.document;
    const current = new Map([...d0.nodes, ...(d0.notes ?? [])].map((n) => [n.id, n.position]));
    // Clicks report "moves" to the same place: those are not edits.
    const changed = moves.filter((m) => {
      const c = current.get(m.id);
      return c && (c.x !== Math.round(m.position.x) || c.y !== Math.round(m.position.y));
    });
    if (!changed.length) {
      if (!dragging) this.finishDrag();
      return;
    }
    const byId = new Map(changed.map((m) => [m.id, m.position]));
    if (dragging && !this.dragStart) this.dragStart = { document: this.state.document, selection: this.state.selection };
    const mv = <T extends { id: string; position: Position }>(n: T): T => {
      const p = byId.get(n.id);
      return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
    };
    const d = this.state.document;
    const next = { ...d, nodes: d.nodes.map(mv), notes: (d.notes ?? []).map(mv) };
    if (dragging) this.applyDocument(next, 'drag');
    else if (this.dragStart) {
      this.applyDocument(next, 'drag');
      this.finishDrag();
    } else this.applyDocument(next, 'local');
  }

  finishDrag(): void {
    if (!this.dragStart) return;
    if (this.dragStart.document === this.state.document) {
      this.dragStart = null;
      return;
    }
    // React Flow selects a node when its drag starts, so `before` already holds the dragged nodes.
    this.pushPast({ document: this.dragStart.document, before: this.dragStart.selection, after: this.state.selection });
    this.future = [];
    this.dragStart = null;
    this.lastCoalesce = null;
    this.applyState({ canUndo: true, canRedo: false });
  }

  // ---------------------------------------------------------------- groups (../graph/groups.ts)
  /** Groups the selected nodes (or `ids`) and opens the new group's name field. */
  groupSelection(ids: string[] = this.state.selection.nodes, label?: string): string | null {
    const id = newId('g_', this.allIds());
    const name = label ?? `Group ${(this.state.document.groups ?? []).length + 1}`;
    const ok = this.edit((d) => groupNodes(d, ids, id, name), { selection: { nodes: [], edges: [], notes: [], groups: [id] } });
    if (!ok) return null;
    if (label === undefined) this.applyState({ editingGroup: id });
    return id;
  }

  /** Removes the selected groups (or `ids`); their nodes stay where they are, selected. */
  ungroup(ids: string[] = this.state.selection.groups ?? []): void {
    const members = (this.state.document.groups ?? []).filter((g) => ids.includes(g.id)).flatMap((g) => g.nodes);
    this.edit((d) => ungroup(d, ids), { selection: { nodes: members, edges: [], notes: [] } });
  }

  renameGroup(id: string, label: string): void {
    const trimmed = label.trim();
    if (trimmed) this.edit((d) => updateGroup(d, id, { label: trimmed }));
    if (this.state.editingGroup === id) this.applyState({ editingGroup: null });
  }

  setEditingGroup(id: string | null): void {
    if (this.state.editingGroup !== id) this.applyState({ editingGroup: id });
  }

  /** Whether group `id` shows collapsed for this viewer. */
  isCollapsed(id: string): boolean {
    const g = (this.state.document.groups ?? []).find((x) => x.id === id);
    return this.state.groupView[id] ?? !!g?.collapsed;
  }

  /**
   * Collapses or expands a group. In the editor this edits the document (saved, undoable: the author
   * decides how the flow opens for everyone); read-only views (the run view) keep it for this viewer.
   */
  setGroupCollapsed(id: string, collapsed: boolean): void {
    const rest = { ...this.state.groupView };
    delete rest[id];
    if (this.state.readOnly) {
      this.applyState({ groupView: { ...rest, [id]: collapsed } });
      return;
    }
    if (id in this.state.groupView) this.applyState({ groupView: rest });
    this.edit((d) => updateGroup(d, id, { collapsed }));
  }

  toggleGroup(id: string): void {
    this.setGroupCollapsed(id, !this.isCollapsed(id));
  }

  /** Expands (for this viewer) the collapsed group holding `nodeId`, so the node can be seen. */
  private revealInGroup(nodeId: string): void {
    const g = groupIndex(this.state.document).get(nodeId);
    if (g && this.isCollapsed(g.id)) this.applyState({ groupView: { ...this.state.groupView, [g.id]: false } });
  }

  /** A group (or collapsed group) dragged by `delta`: its members move (the box follows them). */
  moveGroup(id: string, delta: Position, dragging: boolean): void {
    if (!delta.x && !delta.y) {
      if (!dragging) this.finishDrag();
      return;
    }
    this.moveNodes(memberMoves(this.state.document, id, delta), dragging);
  }

  /** Back one step: the document before it and the selection that went with it. */
  undo(): void {
    if (this.state.readOnly || !this.past.length) return;
    const step = this.past.pop()!;
    this.future.push({ ...step, document: this.state.document });
    this.applyDocument(step.document, 'undo', { selection: step.before });
  }

  /** Forward one step: the document after it and the selection it left. */
  redo(): void {
    if (this.state.readOnly || !this.future.length) return;
    const step = this.future.pop()!;
    this.pushPast({ ...step, document: this.state.document });
    this.applyDocument(step.document, 'redo', { selection: step.after });
  }

  // ---------------------------------------------------------------- view state (not in the document)
  /** Selecting one node inside a collapsed group opens the group (for this viewer) to show it. */
  select(sel: Partial<Selection>): void {
    if (sel.nodes?.length === 1) this.revealInGroup(sel.nodes[0]);
    this.applySelection({ nodes: sel.nodes ?? [], edges: sel.edges ?? [], notes: sel.notes ?? [], ...(sel.groups?.length ? { groups: sel.groups } : {}) });
  }

  selectAll(): void {
    const d = this.state.document;
    this.applySelection({ nodes: d.nodes.map((n) => n.id), edges: d.edges.map((e) => e.id), notes: (d.notes ?? []).map((n) => n.id) });
  }

  setMeasured(sizes: Record<string, { width: number; height: number }>): void {
    const cur = this.state.measured;
    const changed = Object.entries(sizes).some(([id, s]) => cur[id]?.width !== s.width || cur[id]?.height !== s.height);
    if (changed) this.applyMeasured({ ...cur, ...sizes });
  }

  setPinned(nodeId: string, items: Item[] | null): void {
    const next = { ...this.state.pinned };
    if (items) next[nodeId] = items;
    else delete next[nodeId];
    this.applyPinned(next);
  }

  setReadOnly(readOnly: boolean): void {
    this.applyState({ readOnly });
  }

  // ---------------------------------------------------------------- live runs
  runStarted(id: number): void {
    this.applyRun({ id, status: 'queued', lastSeq: 0, nodes: {}, nodeRuns: {} });
  }

  clearRun(): void {
    this.applyRun(null);
  }

  /** The run detail from the websocket snapshot or GET /api/runs/{id}/ (has items). */
  runSnapshot(run: RunDetail, seq: number = run.last_seq): void {
    const cur = this.state.run;
    if (cur && cur.id === run.id && seq < cur.lastSeq) {
      // Older than what we have: keep statuses, only take the item detail.
      this.applyRun({ ...cur, nodeRuns: Object.fromEntries(run.node_runs.map((n) => [n.node_id, n])) });
      return;
    }
    const nodes: Record<string, NodeRunState> = {};
    for (const nr of run.node_runs) {
      nodes[nr.node_id] = {
        status: nr.status,
        attempt: nr.attempt,
        input_count: Object.values(nr.input_counts ?? {}).reduce((a, b) => a + b, 0),
        output_counts: nr.output_counts,
        duration_ms: nr.duration_ms,
        error: nr.error,
      };
    }
    this.applyRun({ id: run.id, status: run.status, lastSeq: seq, nodes, nodeRuns: Object.fromEntries(run.node_runs.map((n) => [n.node_id, n])) });
  }

  /** Event frames; events at or below the last applied seq are ignored (reconnect replays). */
  runEvents(events: RunEvent[]): void {
    const cur = this.state.run;
    if (!cur) return;
    let run = cur;
    for (const ev of [...events].sort((a, b) => a.seq - b.seq)) {
      if (ev.seq <= run.lastSeq) continue;
      run = { ...run, lastSeq: ev.seq };
      if (isRunEvent(ev.type)) {
        run.status = RUN_STATUS_OF[ev.type];
        continue;
      }
      const meaning = NODE_EVENT[ev.type];
      if (!meaning || !ev.node_id) continue;
      const prev = run.nodes[ev.node_id] ?? { status: 'pending' };
      const p = ev.payload ?? {};
      if ('undo' in meaning) {
        run.nodes = { ...run.nodes, [ev.node_id]: { ...prev, undo: meaning.undo } };
        continue;
      }
      if (p.undo) continue; // a retry of an undo: the node itself stays succeeded
      const status = meaning.status;
      run.nodes = {
        ...run.nodes,
        [ev.node_id]: {
          ...prev,
          status,
          attempt: p.attempt ?? prev.attempt,
          input_count: p.input_count ?? prev.input_count,
          output_counts: p.output_counts ?? prev.output_counts,
          duration_ms: p.duration_ms ?? prev.duration_ms,
          error: status === 'failed' || status === 'retrying' ? asError(p.error) : null,
        },
      };
      if (status === 'running' && run.status === 'queued') run.status = 'running';
    }
    if (run !== cur) this.applyRun(run);
  }
}
