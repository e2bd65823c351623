// /inbox: every failed run and failed item of the organisation (a partner: of all its customers), grouped
// by cause, flow, step or customer, each group saying what to do next. Select failures (or a whole group)
// and retry, replay, skip, cancel or resolve them in bulk; a batch runs in the background and its progress
// is polled until it is done. Single failures can be assigned, snoozed, commented on and resolved.
// Revalidate (one failure, a selection or the group) evaluates the failed items again through the current
// draft or published version without calling any outside system; the verdicts show inline (pass with the
// diff of the failed step's input, or the field and reason it still fails), then "Replay passing".
// Where publishing needs approval only the published version is offered (a draft replay would skip review).
// An exception a flow raises again on every run is one row that says how often it was seen; a held item
// whose match was decided says so ("Decided: link to X — replay to apply") until it is replayed.
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage, rows } from '../api/client';
import {
  inboxApi,
  type Batch,
  type BulkActionName,
  type Failure,
  type GroupBy,
  type InboxGroup,
  type RevalidateTarget,
  type RevalidationResult,
} from '../api/inbox';
import { reviewsApi } from '../api/reviews';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { useSession } from '../session';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { ACTION_LABELS, BULK_ACTIONS, GROUPINGS, batchFinished, batchSummary, percent, recurrence, revalidateTargets, shortValue, toggle, toggleAll, verdictCounts } from './model';
import './inbox.css';

const POLL_MS = 1000;

function GroupList({ groups, chosen, onChoose }: { groups: InboxGroup[]; chosen: string; onChoose: (key: string) => void }) {
  return (
    <ul className="inbox-groups" data-testid="inbox-groups">
      {groups.map((g) => (
        <li key={g.key}>
          <button
            className={`inbox-group${g.key === chosen ? ' on' : ''}`}
            onClick={() => onChoose(g.key)}
            data-testid={`inbox-group-${g.key}`}
          >
            <span className="inbox-group-head">
              <span className={`inbox-cat inbox-cat-${g.category}`} />
              <strong>{g.label}</strong>
              <span className="inbox-count">{g.count}</span>
            </span>
            <span className="inbox-group-meta muted">
              {g.runs} run{g.runs === 1 ? '' : 's'} · {g.items} item{g.items === 1 ? '' : 's'} · {timeAgo(g.latest_at)}
            </span>
            <span className="inbox-next">{g.next_step}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

const TARGET_LABELS: Record<RevalidateTarget, string> = { draft: 'on the current draft', published: 'on the published version' };

function RevalidateBar({ count, groupCount, target, targets, onTarget, onRevalidate, busy }: {
  count: number;
  groupCount: number;
  target: RevalidateTarget;
  targets: RevalidateTarget[];
  onTarget: (t: RevalidateTarget) => void;
  onRevalidate: (whole: boolean) => void;
  busy: boolean;
}) {
  return (
    <div className="inbox-bulk inbox-revalidate-bar" data-testid="inbox-revalidate-bar">
      <span>Check a fix first:</span>
      <select value={target} onChange={(e) => onTarget(e.target.value as RevalidateTarget)} data-testid="inbox-revalidate-target" aria-label="Revalidate on">
        {targets.map((t) => <option key={t} value={t}>{TARGET_LABELS[t]}</option>)}
      </select>
      <button disabled={busy || count === 0} onClick={() => onRevalidate(false)} data-testid="inbox-revalidate-selected">
        Revalidate {count} selected
      </button>
      <button disabled={busy || groupCount === 0} onClick={() => onRevalidate(true)} data-testid="inbox-revalidate-group">
        Revalidate group
      </button>
      <span className="muted inbox-bulk-hint">Runs mapping and transform steps again; calls no outside system.</span>
    </div>
  );
}

function Diff({ r }: { r: RevalidationResult }) {
  if (r.diff.length === 0) return <span className="muted small">Input unchanged</span>;
  return (
    <table className="inbox-diff" data-testid={`revalidation-diff-${r.failure}`}>
      <tbody>
        {r.diff.map((d) => (
          <tr key={d.path} className={`inbox-diff-${d.change}`}>
            <td><code>{d.path}</code></td>
            <td className="inbox-diff-before">{shortValue(d.before)}</td>
            <td aria-hidden>→</td>
            <td className="inbox-diff-after">{shortValue(d.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RevalidationResults({ batch, onReplay, replaying, replayed, draftRefused }: {
  batch: Batch;
  draftRefused: boolean;
  onReplay: () => void;
  replaying: boolean;
  replayed: boolean;
}) {
  const results = batch.results ?? [];
  const counts = verdictCounts(results);
  const where = batch.target === 'published' ? 'the published version' : 'the current draft';
  return (
    <section className="inbox-revalidation" data-testid="inbox-revalidation" aria-live="polite">
      <div className="inbox-revalidation-head">
        <strong data-testid="inbox-revalidation-summary">
          On {where}: {counts.pass} would pass, {counts.fail} still fail{counts.unknown ? `, ${counts.unknown} cannot tell` : ''}
        </strong>
        {batch.target === 'draft' && draftRefused ? (
          <span className="muted small" data-testid="inbox-replay-needs-review">Publishing needs approval here: publish the fix (through review) first, then revalidate on the published version.</span>
        ) : (
          <button className="primary" disabled={counts.pass === 0 || replaying || replayed} onClick={onReplay} data-testid="inbox-replay-passing">
            {replayed ? 'Replay started' : `Replay ${counts.pass} passing`}
          </button>
        )}
      </div>
      <ul className="inbox-revalidation-list">
        {results.map((r) => (
          <li key={r.failure} className={`inbox-verdict-${r.verdict}`} data-testid={`revalidation-${r.failure}`}>
            <div className="inbox-revalidation-row">
              <span className={`badge inbox-verdict inbox-verdict-${r.verdict}`}>
                {r.verdict === 'pass' ? 'Would pass' : r.verdict === 'fail' ? 'Still fails' : 'Cannot tell'}
              </span>
              <Link to={`/runs/${r.run}`}>Run {r.run}</Link>
              <span className="muted small">{r.node_label || r.node_id}{r.item_index >= 0 ? ` · item ${r.item_index + 1}` : ''}{r.checked ? ` · ${r.checked}` : ''}</span>
            </div>
            {r.verdict !== 'pass' && (
              <div className="inbox-revalidation-reason">{r.field && <code>{r.field}</code>} {r.reason}</div>
            )}
            {r.verdict === 'pass' && <Diff r={r} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function BulkBar({ count, groupLabel, groupCount, onRun, busy }: {
  count: number;
  groupLabel: string;
  groupCount: number;
  onRun: (action: BulkActionName, whole: boolean) => void;
  busy: boolean;
}) {
  const [action, setAction] = useState<BulkActionName>('retry');
  const hint = BULK_ACTIONS.find((a) => a.action === action)?.hint ?? '';
  return (
    <div className="inbox-bulk" data-testid="inbox-bulk-bar">
      <select value={action} onChange={(e) => setAction(e.target.value as BulkActionName)} data-testid="inbox-bulk-action" aria-label="Bulk action">
        {BULK_ACTIONS.map((a) => <option key={a.action} value={a.action}>{a.label}</option>)}
      </select>
      <button className="primary" disabled={busy || count === 0} onClick={() => onRun(action, false)} data-testid="inbox-bulk-selected">
        Apply to {count} selected
      </button>
      <button disabled={busy || groupCount === 0} onClick={() => onRun(action, true)} data-testid="inbox-bulk-group">
        Apply to all {groupCount} in “{groupLabel}”
      </button>
      <span className="muted inbox-bulk-hint">{hint}</span>
    </div>
  );
}

function Progress({ batch }: { batch: Batch }) {
  return (
    <div className="inbox-progress" data-testid="inbox-batch-progress" aria-live="polite">
      <div className="inbox-progress-bar"><span style={{ width: `${percent(batch)}%` }} /></div>
      <span data-testid="inbox-batch-summary">{ACTION_LABELS[batch.action]}: {batchSummary(batch)}</span>
    </div>
  );
}

function FailureRow({ f, selected, onSelect, onChanged, onRevalidate }: { f: Failure; selected: boolean; onSelect: () => void; onChanged: () => void; onRevalidate: () => void }) {
  const toast = useToast();
  const { me } = useSession();
  async function act(what: () => Promise<unknown>, done: string) {
    try {
      await what();
      toast.success(done);
      onChanged();
    } catch (e) {
      toast.error('Could not do that', errorMessage(e));
    }
  }
  const tomorrow = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();
  return (
    <tr data-testid={`failure-${f.id}`}>
      <td><input type="checkbox" checked={selected} onChange={onSelect} aria-label={`Select failure ${f.id}`} data-testid={`failure-select-${f.id}`} /></td>
      <td>
        <div className="inbox-run"><Link to={`/runs/${f.run}`}>Run {f.run}</Link> <span className="badge">{f.kind === 'item' ? `item ${f.item_index + 1}` : 'whole run'}</span></div>
        <div className="muted small inbox-run" title={`${f.flow_name} · ${f.node_id} · ${f.organisation_name}`}>{f.flow_name} · {f.node_id || '—'}</div>
        <div className="muted small inbox-run">{f.organisation_name}</div>
      </td>
      <td><span className={`inbox-cat-label inbox-cat-${f.category}`}>{f.category_label}</span></td>
      <td className="inbox-msg" title={f.message}>
        {f.message}
        {f.note && <div className="small inbox-note" data-testid={`failure-note-${f.id}`}>{f.note}</div>}
      </td>
      <td className="muted small">
        {timeAgo(f.created_at)}
        {recurrence(f, timeAgo) && <div className="inbox-seen" data-testid={`failure-seen-${f.id}`}>{recurrence(f, timeAgo)}</div>}
      </td>
      <td className="small">{f.assignee_name || <span className="muted">—</span>}</td>
      <td><div className="inbox-row-actions">
        {me && <button className="ghost" onClick={() => void act(() => inboxApi.assign(f.id, f.assignee === me.id ? null : me.id), f.assignee === me.id ? 'Unassigned' : 'Assigned to you')} data-testid={`failure-assign-${f.id}`}>{f.assignee === me.id ? 'Unassign' : 'Take'}</button>}
        <button className="ghost" onClick={() => void act(() => inboxApi.snooze(f.id, tomorrow()), 'Snoozed for a day')} data-testid={`failure-snooze-${f.id}`}>Snooze</button>
        <button className="ghost" onClick={() => { const body = window.prompt('Comment'); if (body) void act(() => inboxApi.comment(f.id, body), 'Comment added'); }} data-testid={`failure-comment-${f.id}`}>Comment{f.comment_count ? ` (${f.comment_count})` : ''}</button>
        <button className="ghost" onClick={onRevalidate} data-testid={`failure-revalidate-${f.id}`} title="Check whether it would pass now, without calling any outside system">Revalidate</button>
        <button className="ghost" onClick={() => void act(() => inboxApi.resolve(f.id), 'Resolved')} data-testid={`failure-resolve-${f.id}`}>Resolve</button>
      </div></td>
    </tr>
  );
}

export function InboxPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const orgId = organisation?.id ?? null;
  const [groupBy, setGroupBy] = useState<GroupBy>('category');
  const [chosen, setChosen] = useState('');
  const [selection, setSelection] = useState<Set<number>>(new Set());
  const [batch, setBatch] = useState<Batch | null>(null);
  const [busy, setBusy] = useState(false);
  const [target, setTarget] = useState<RevalidateTarget>('draft');
  const governance = useResource(orgId ? [orgId, 'governance'] : null, () => reviewsApi.governance(orgId as number));
  const approvalRequired = governance.data?.approval_required ?? false;
  const targets = revalidateTargets(approvalRequired);
  const chosenTarget = targets.includes(target) ? target : targets[0];
  const [revalidation, setRevalidation] = useState<Batch | null>(null);
  const [replayed, setReplayed] = useState(false);
  const groups = useResource(orgId ? [orgId, groupBy] : null, () => inboxApi.groups(orgId as number, groupBy));
  const list = groups.data?.groups ?? [];
  const group = list.find((g) => g.key === chosen) ?? list[0];
  const failures = useResource(orgId && group ? [orgId, group.key] : null, () => inboxApi.failures(orgId as number, { group: group!.key }));
  const shown = failures.data ? rows(failures.data) : [];

  useEffect(() => {
    if (!batch || batchFinished(batch)) return undefined;
    const timer = window.setTimeout(() => {
      inboxApi.batch(batch.id).then((b) => {
        setBatch(b);
        if (batchFinished(b) && b.action === 'revalidate') setRevalidation(b);
        if (batchFinished(b)) {
          groups.reload();
          failures.reload();
        }
      }, () => undefined);
    }, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [batch, groups, failures]);

  async function run(action: BulkActionName, whole: boolean, only?: number[]) {
    if (!orgId || !group) return;
    setBusy(true);
    try {
      const extra = action === 'revalidate' ? { target: chosenTarget } : {};
      const started = await inboxApi.startBatch(
        whole ? { organisation: orgId, action, group: group.key, ...extra } : { organisation: orgId, action, failures: only ?? [...selection], ...extra },
      );
      if (action === 'revalidate') {
        setRevalidation(batchFinished(started) ? started : null);
        setReplayed(false);
      }
      setBatch(started);
      setChosen(group.key); // stay on this group while its counts change
      setSelection(new Set());
    } catch (e) {
      toast.error('Could not start', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function replayPassing() {
    if (!revalidation) return;
    setBusy(true);
    try {
      setBatch(await inboxApi.replayPassing(revalidation.id));
      setReplayed(true);
    } catch (e) {
      toast.error('Could not replay', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const running = busy || (batch !== null && !batchFinished(batch));
  return (
    <div className="page inbox-page" data-testid="inbox-page">
      <header className="page-head">
        <div>
          <h1>Inbox</h1>
          <p className="muted">
            {groups.data ? `${groups.data.total} open failure${groups.data.total === 1 ? '' : 's'}` : 'Open failures'}
            {organisation?.kind === 'partner' ? ' across all customers' : ''}, grouped so they can be fixed together.
          </p>
        </div>
        <Link to="/alerts" className="inbox-alerts-link" data-testid="inbox-alerts-link">Alert rules and incidents</Link>
        <div className="inbox-grouping" role="group" aria-label="Group by">
          {GROUPINGS.map((g) => (
            <button key={g.key} className={g.key === groupBy ? 'on' : ''} onClick={() => { setGroupBy(g.key); setChosen(''); setSelection(new Set()); }} data-testid={`inbox-by-${g.key}`}>
              {g.label}
            </button>
          ))}
        </div>
      </header>
      {batch && <Progress batch={batch} />}
      <ResourceState
        resource={groups}
        what="the inbox"
        testid="inbox"
        isEmpty={(d) => d.groups.length === 0}
        empty={{ title: 'Nothing to fix', body: 'Failed runs and failed items land here, grouped by cause.', testid: 'inbox-empty' }}
      >
        {(data) => (
          <div className="inbox-body">
            <GroupList groups={data.groups} chosen={group?.key ?? ''} onChoose={(k) => { setChosen(k); setSelection(new Set()); setRevalidation(null); }} />
            <section className="inbox-detail" data-testid="inbox-detail">
              {group && (
                <>
                  <div className="inbox-detail-head">
                    <h2>{group.label}</h2>
                    <p className="inbox-next-step" data-testid="inbox-next-step"><strong>What to do next:</strong> {group.next_step}</p>
                  </div>
                  <BulkBar count={selection.size} groupLabel={group.label} groupCount={group.count} onRun={(a, w) => void run(a, w)} busy={running} />
                  <RevalidateBar count={selection.size} groupCount={group.count} target={chosenTarget} targets={targets} onTarget={setTarget} onRevalidate={(w) => void run('revalidate', w)} busy={running} />
                  {revalidation && <RevalidationResults batch={revalidation} onReplay={() => void replayPassing()} replaying={running} replayed={replayed} draftRefused={approvalRequired} />}
                  <table className="table inbox-table" data-testid="inbox-failures">
                    <colgroup>
                      <col className="c-check" /><col className="c-run" /><col className="c-cause" /><col /><col className="c-when" /><col className="c-who" /><col className="c-act" />
                    </colgroup>
                    <thead>
                      <tr>
                        <th><input type="checkbox" aria-label="Select all shown" checked={shown.length > 0 && shown.every((f) => selection.has(f.id))} onChange={() => setSelection(toggleAll(selection, shown.map((f) => f.id)))} data-testid="inbox-select-all" /></th>
                        <th>Run</th><th>Cause</th><th>Message</th><th>When</th><th>Assignee</th><th />
                      </tr>
                    </thead>
                    <tbody>
                      {shown.map((f) => (
                        <FailureRow key={f.id} f={f} selected={selection.has(f.id)} onSelect={() => setSelection(toggle(selection, f.id))} onChanged={() => { groups.reload(); failures.reload(); }} onRevalidate={() => void run('revalidate', false, [f.id])} />
                      ))}
                    </tbody>
                  </table>
                  {failures.data && !Array.isArray(failures.data) && failures.data.count > shown.length && (
                    <p className="muted small">Showing {shown.length} of {failures.data.count}; “Apply to all” covers every one.</p>
                  )}
                </>
              )}
            </section>
          </div>
        )}
      </ResourceState>
    </div>
  );
}
