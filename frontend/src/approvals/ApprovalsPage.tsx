// /approvals: what runs wait on a person for (approval nodes). An assignee sees the lines and totals and
// approves, rejects with a reason, or edits the fields the flow allows and approves; others see why they
// cannot. Pending requests refresh every 15 s. Deciding resumes the run (the server audits it).
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { approvalsApi, type Approval, type ApprovalStatus } from '../api/approvals';
import { errorMessage } from '../api/client';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { ResourceState } from '../ui/ResourceState';
import { Spinner, StatusBadge, ViewTabs } from '../ui/bits';
import { useToast } from '../ui/toast';
import { cellText, columnsOf, decideBlocked, dueText, editLine } from './model';
import './approvals.css';

const VIEWS: { key: string; label: string; query: { status?: ApprovalStatus; mine?: boolean } }[] = [
  { key: 'mine', label: 'Waiting for me', query: { status: 'pending', mine: true } },
  { key: 'pending', label: 'All pending', query: { status: 'pending' } },
  { key: 'all', label: 'History', query: {} },
];

function ApprovalCard({ a, onDecided }: { a: Approval; onDecided: (a: Approval) => void }) {
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [items, setItems] = useState<Record<string, unknown>[]>(a.items);
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [problem, setProblem] = useState('');
  const columns = columnsOf(a);
  const blocked = decideBlocked(a);
  const edited = JSON.stringify(items) !== JSON.stringify(a.items);

  async function decide(decision: 'approve' | 'reject') {
    if (decision === 'reject' && !reason.trim()) {
      setProblem('Say why you reject it: the requester sees the reason.');
      return;
    }
    setBusy(decision);
    setProblem('');
    try {
      const done = await approvalsApi.decide(a.id, {
        decision,
        reason: reason.trim(),
        items: decision === 'approve' && edited ? items : null,
      });
      toast.success(decision === 'approve' ? `Approved: ${a.title}` : `Rejected: ${a.title}`, `Run #${a.run} goes on.`);
      onDecided(done);
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <article className="apv-card" data-testid={`approval-${a.id}`} data-status={a.status}>
      <header className="apv-head">
        <div>
          <h2 className="apv-title">{a.title}</h2>
          <p className="muted small">
            <Link to={`/runs/${a.run}`}>{a.flow_name} · run #{a.run}</Link> · asked {timeAgo(a.created_at)} ·{' '}
            {a.status === 'pending' ? dueText(a.due_at) : `${a.status.replace('_', ' ')}${a.decided_by ? ` by ${a.decided_by}` : ''}`}
            {a.escalation_level > 0 && <span className="apv-escalated"> · escalated</span>}
          </p>
        </div>
        <StatusBadge status={a.status} />
      </header>
      <div className="apv-lines-wrap">
        <table className="apv-lines" data-testid={`approval-lines-${a.id}`}>
          <thead>
            <tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
          </thead>
          <tbody>
            {items.slice(0, 200).map((item, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c} className={typeof item[c] === 'number' ? 'num' : undefined}>
                    {a.status === 'pending' && a.can_decide && a.editable_fields.includes(c) ? (
                      <input
                        className="apv-edit"
                        aria-label={`${c} of line ${i + 1}`}
                        data-testid={`approval-edit-${a.id}-${i}-${c}`}
                        value={cellText(item[c])}
                        onChange={(e) => setItems((prev) => editLine(prev, i, c, e.target.value))}
                      />
                    ) : (
                      cellText(item[c])
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {Object.keys(a.totals).length > 0 && (
        <p className="apv-totals" data-testid={`approval-totals-${a.id}`}>
          {Object.entries(a.totals).map(([k, v]) => (
            <span key={k}>
              <span className="muted">{k === 'lines' ? 'Lines' : `Total ${k}`}</span> <strong>{cellText(v)}</strong>
            </span>
          ))}
        </p>
      )}
      {a.status !== 'pending' && a.reason && <p className="apv-reason">Reason: {a.reason}</p>}
      {a.status === 'pending' && (
        <footer className="apv-actions">
          <input
            className="apv-reason-input"
            placeholder="Reason (needed to reject)"
            value={reason}
            maxLength={2000}
            onChange={(e) => setReason(e.target.value)}
            disabled={!!blocked}
            data-testid={`approval-reason-${a.id}`}
          />
          <button
            className="primary"
            disabled={!!blocked || busy !== null}
            title={blocked ?? undefined}
            onClick={() => void decide('approve')}
            data-testid={`approval-approve-${a.id}`}
          >
            {busy === 'approve' ? <Spinner label="Approving…" /> : edited ? 'Approve with edits' : 'Approve'}
          </button>
          <button
            className="danger"
            disabled={!!blocked || busy !== null}
            title={blocked ?? undefined}
            onClick={() => void decide('reject')}
            data-testid={`approval-reject-${a.id}`}
          >
            {busy === 'reject' ? <Spinner label="Rejecting…" /> : 'Reject'}
          </button>
          {blocked && <span className="muted small">{blocked}</span>}
          {problem && (
            <span className="apv-problem" role="alert" data-testid={`approval-problem-${a.id}`}>
              {problem}
            </span>
          )}
        </footer>
      )}
    </article>
  );
}

export function ApprovalsPage() {
  const { organisation } = useSession();
  const [view, setView] = useState(VIEWS[0].key);
  const query = useMemo(() => VIEWS.find((v) => v.key === view)!.query, [view]);
  const resource = useResource(organisation ? [organisation.id, view] : null, () =>
    approvalsApi.list(organisation!.id, query),
  );
  const { refresh } = resource;
  useEffect(() => {
    if (view === 'all') return;
    const timer = window.setInterval(() => void refresh(), 15_000);
    return () => window.clearInterval(timer);
  }, [view, refresh]);
  const onDecided = (done: Approval) =>
    resource.update((data) =>
      data ? { ...data, results: data.results.map((a) => (a.id === done.id ? done : a)) } : data,
    );
  return (
    <main className="page apv-page" data-testid="approvals-page">
      <div className="page-head">
        <h1>Approvals</h1>
        <ViewTabs views={VIEWS} view={view} onChange={setView} testid="approvals-view" />
      </div>
      <ResourceState
        resource={resource}
        what="approvals"
        testid="approvals"
        isEmpty={(d) => d.results.length === 0}
        empty={{
          title: view === 'mine' ? 'Nothing waits for you' : 'No approvals here',
          body: 'Flows with an Approval step ask here (and by e-mail) when they need a decision.',
          testid: 'approvals-empty',
        }}
      >
        {(data) => (
          <div className="apv-list">
            {data.results.map((a) => (
              <ApprovalCard key={`${a.id}-${a.status}`} a={a} onDecided={onDecided} />
            ))}
          </div>
        )}
      </ResourceState>
    </main>
  );
}
