// /reviews: flow versions sent for review (four-eyes publishing). An approver opens one and sees the
// change against what is live (the graph diff), the validation findings and the last test run, then
// approves (it publishes) or rejects with a reason. Authors see their versions and the decisions; a
// decision they have not read yet is marked and counts in the top bar's indicator. Reviews assigned to the
// viewer come first (the API orders them so) and are marked; the author or an approver changes the assignees.
// Not the run-time approvals inbox (/approvals).
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../api/client';
import { reviewsApi, type Review, type ReviewQuery } from '../api/reviews';
import { DiffView } from '../partner/DiffView';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { ResourceState } from '../ui/ResourceState';
import { Spinner, StatusBadge, ViewTabs } from '../ui/bits';
import { useToast } from '../ui/toast';
import { partnerApi } from '../api/partner';
import { assignable, assigneesText, decideBlocked, originText, stateLabel } from './model';
import '../approvals/approvals.css';
import '../partner/partner.css';

const VIEWS: { key: string; label: string; query: ReviewQuery }[] = [
  { key: 'waiting', label: 'Waiting for me', query: { waiting: true } },
  { key: 'assigned', label: 'Assigned to me', query: { assigned: true } },
  { key: 'mine', label: 'My versions', query: { authored: true } },
  { key: 'all', label: 'All reviews', query: {} },
];

/** Change who is asked to decide (the author or an approver): the organisation's approvers and admins. */
function AssignPicker({ r, onChanged }: { r: Review; onChanged: (r: Review) => void }) {
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const members = useResource(open ? [r.organisation, 'members'] : null, () => partnerApi.members(r.organisation));
  const [chosen, setChosen] = useState<number[]>(r.assignees.map((a) => a.id));
  const [busy, setBusy] = useState(false);
  async function save(ids: number[]) {
    setBusy(true);
    try {
      const done = await reviewsApi.assign(r.id, ids);
      toast.success(`Assigned: ${done.assignees.map((a) => a.username).join(', ') || 'nobody'}`);
      setOpen(false);
      onChanged(done);
    } catch (e) {
      toast.error('Not assigned', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  if (!open) {
    return (
      <button className="small ghost" onClick={() => setOpen(true)} data-testid={`review-assign-${r.id}`}>
        Change assignees…
      </button>
    );
  }
  const people = members.data ? assignable(members.data, r.author) : [];
  return (
    <fieldset className="rv-assign" data-testid={`review-assign-picker-${r.id}`}>
      <legend className="small">Ask to review</legend>
      {!members.data && <Spinner label="Loading approvers…" />}
      {people.map((p) => (
        <label key={p.id} className="small">
          <input
            type="checkbox"
            checked={chosen.includes(p.id)}
            onChange={(e) => setChosen(e.target.checked ? [...chosen, p.id] : chosen.filter((x) => x !== p.id))}
            data-testid={`review-assignee-${r.id}-${p.username}`}
          />{' '}
          {p.username}
        </label>
      ))}
      <button className="small primary" disabled={busy} onClick={() => void save(chosen)} data-testid={`review-assign-save-${r.id}`}>
        Save
      </button>
      <button className="small ghost" disabled={busy} onClick={() => void save([])} title="Every approver of the organisation but the author">
        Reset to all approvers
      </button>
      <button className="small ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </fieldset>
  );
}

function ReviewBody({ r, onDecided }: { r: Review; onDecided: (r: Review) => void }) {
  const { me } = useSession();
  const toast = useToast();
  const detail = useResource([r.id, r.state], () => reviewsApi.get(r.id));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [problem, setProblem] = useState('');
  const blocked = decideBlocked(r);

  async function decide(decision: 'approve' | 'reject') {
    if (decision === 'reject' && !reason.trim()) {
      setProblem('Say why you reject it: the author reads the reason.');
      return;
    }
    setBusy(decision);
    setProblem('');
    try {
      const done = decision === 'approve' ? await reviewsApi.approve(r.id, reason.trim()) : await reviewsApi.reject(r.id, reason.trim());
      toast.success(decision === 'approve' ? `Approved and published: ${r.flow_name} v${r.number}` : `Rejected: ${r.flow_name} v${r.number}`);
      onDecided(done);
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="rv-body">
      <ResourceState resource={detail} what="the review" testid={`review-detail-${r.id}`}>
        {(d) => (
          <div className="rv-grid">
            <section>
              <h3 className="rv-h">Change against what is live</h3>
              <DiffView diff={d.diff} testid={`review-diff-${r.id}`} />
            </section>
            <section>
              <h3 className="rv-h">Validation</h3>
              {d.findings.length === 0 ? (
                <p className="small" data-testid={`review-findings-${r.id}`}>No findings.</p>
              ) : (
                <ul className="small" data-testid={`review-findings-${r.id}`}>
                  {d.findings.map((f, i) => (
                    <li key={i} className={f.severity === 'error' ? 'apv-problem' : undefined}>
                      {f.severity}: {f.message} {f.node_id ? <code>{f.node_id}</code> : null}
                    </li>
                  ))}
                </ul>
              )}
              <h3 className="rv-h">Last test run</h3>
              {d.last_test_run ? (
                <p className="small" data-testid={`review-test-run-${r.id}`}>
                  <Link to={`/runs/${d.last_test_run.id}`}>Run #{d.last_test_run.id}</Link>{' '}
                  <StatusBadge status={d.last_test_run.status} /> {timeAgo(d.last_test_run.created_at)}
                </p>
              ) : (
                <p className="small muted" data-testid={`review-test-run-${r.id}`}>Never test-run from the editor.</p>
              )}
            </section>
          </div>
        )}
      </ResourceState>
      {r.state === 'in_review' && (r.author === me.username || r.can_decide) && <AssignPicker r={r} onChanged={onDecided} />}
      {r.state === 'in_review' && (
        <footer className="apv-actions">
          <input
            className="apv-reason-input"
            placeholder="Reason (needed to reject; the author reads it)"
            value={reason}
            maxLength={2000}
            onChange={(e) => setReason(e.target.value)}
            disabled={!!blocked}
            data-testid={`review-reason-${r.id}`}
          />
          <button className="primary" disabled={!!blocked || busy !== null} title={blocked ?? undefined} onClick={() => void decide('approve')} data-testid={`review-approve-${r.id}`}>
            {busy === 'approve' ? <Spinner label="Approving…" /> : 'Approve and publish'}
          </button>
          <button className="danger" disabled={!!blocked || busy !== null} title={blocked ?? undefined} onClick={() => void decide('reject')} data-testid={`review-reject-${r.id}`}>
            {busy === 'reject' ? <Spinner label="Rejecting…" /> : 'Reject'}
          </button>
          {blocked && <span className="muted small" data-testid={`review-blocked-${r.id}`}>{blocked}</span>}
          {problem && (
            <span className="apv-problem" role="alert" data-testid={`review-problem-${r.id}`}>
              {problem}
            </span>
          )}
        </footer>
      )}
    </div>
  );
}

function ReviewCard({ r, open, onToggle, onDecided }: { r: Review; open: boolean; onToggle: () => void; onDecided: (r: Review) => void }) {
  const { me } = useSession();
  const mine = r.author === me.username;
  return (
    <article className="apv-card" data-testid={`review-${r.id}`} data-status={r.state === 'in_review' ? 'pending' : r.state}>
      <header className="apv-head">
        <div>
          <h2 className="apv-title">
            <button className="linklike" onClick={onToggle} aria-expanded={open} data-testid={`review-open-${r.id}`}>
              {r.flow_name} · {originText(r)}
            </button>
            {r.unseen && <span className="rv-new" data-testid={`review-unseen-${r.id}`}>new decision</span>}
            {r.assigned_to_me && <span className="rv-new" data-testid={`review-mine-${r.id}`}>assigned to you</span>}
          </h2>
          <p className="muted small">
            <Link to={`/flows/${r.flow}`}>open flow</Link> · sent by {mine ? 'you' : r.author ?? 'someone'} {timeAgo(r.submitted_at)}
            {r.comment ? ` · “${r.comment}”` : ''}
            {r.reviewed_by ? ` · ${stateLabel(r.state)} by ${r.reviewed_by} ${timeAgo(r.reviewed_at)}` : ''}
          </p>
          {r.state === 'in_review' && (
            <p className="muted small" data-testid={`review-assignees-${r.id}`}>
              Assigned to {assigneesText(r, me.username)}
            </p>
          )}
          {r.review_reason && <p className="apv-reason" data-testid={`review-reason-text-${r.id}`}>Reason: {r.review_reason}</p>}
        </div>
        <StatusBadge status={stateLabel(r.state)} />
      </header>
      {open && <ReviewBody r={r} onDecided={onDecided} />}
    </article>
  );
}

export function ReviewsPage() {
  const { organisation } = useSession();
  const [view, setView] = useState(VIEWS[0].key);
  const [openId, setOpenId] = useState<number | null>(null);
  const query = useMemo(() => VIEWS.find((v) => v.key === view)!.query, [view]);
  const resource = useResource(organisation ? [organisation.id, view] : null, () => reviewsApi.list(organisation!.id, query));
  const onDecided = (done: Review) =>
    resource.update((data) => (data ? { ...data, results: data.results.map((x) => (x.id === done.id ? done : x)) } : data));
  const toggle = (r: Review) => {
    setOpenId(openId === r.id ? null : r.id);
    if (r.unseen) void reviewsApi.seen(r.id).then(onDecided);
  };
  return (
    <main className="page apv-page" data-testid="reviews-page">
      <div className="page-head">
        <h1>Reviews</h1>
        <ViewTabs views={VIEWS} view={view} onChange={setView} testid="reviews-view" />
      </div>
      <p className="muted small">Flow versions waiting to go live. Approving publishes the version; a rejected version never goes live.</p>
      <ResourceState
        resource={resource}
        what="reviews"
        testid="reviews"
        isEmpty={(d) => d.results.length === 0}
        empty={{ title: view === 'waiting' ? 'Nothing waits for your review' : 'No reviews here', body: 'When publishing needs approval, published versions wait here.', testid: 'reviews-empty' }}
      >
        {(data) => (
          <div className="apv-list">
            {data.results.map((r, i) => (
              <ReviewCard key={`${r.id}-${r.state}`} r={r} open={openId === r.id || (openId === null && i === 0)} onToggle={() => toggle(r)} onDecided={onDecided} />
            ))}
          </div>
        )}
      </ResourceState>
    </main>
  );
}
