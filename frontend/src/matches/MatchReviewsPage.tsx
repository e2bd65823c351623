// /matches: customers the match node could not place on its own (they look like, but are not certainly,
// a customer the ERP already has). The source record and each candidate stand side by side with the
// fields that matched or differed and the score; a person links to one candidate or creates a new
// customer, and may replay the held item at once (it follows the decision). The server audits it.
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../api/client';
import { matchReviewsApi, type MatchReview } from '../api/matchReviews';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { ResourceState } from '../ui/ResourceState';
import { Spinner, StatusBadge, ViewTabs } from '../ui/bits';
import { useToast } from '../ui/toast';
import { FIELDS, asCandidates, comparison, fieldText, scoreText, systemLabel } from './model';
import './matches.css';

const VIEWS: { key: string; label: string; query: { decided?: boolean } }[] = [
  { key: 'pending', label: 'Waiting for a decision', query: { decided: false } },
  { key: 'decided', label: 'Decided', query: { decided: true } },
];

function ReviewCard({ r, onDecided }: { r: MatchReview; onDecided: (r: MatchReview) => void }) {
  const toast = useToast();
  const [replay, setReplay] = useState(true);
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState('');
  const candidates = asCandidates(r.candidates as Record<string, unknown>[]);
  const source = r.source as Record<string, unknown>;
  const target = systemLabel(r.target_system);
  const pending = r.status === 'pending';

  async function decide(decision: 'link' | 'create', targetId?: string) {
    setBusy(targetId ?? decision);
    setProblem('');
    try {
      const done = await matchReviewsApi.decide(r.id, { decision, target_id: targetId, replay });
      const what = decision === 'link' ? `Linked to ${target} ${targetId}` : `A new ${target} ${r.entity} will be created`;
      const rerun = done.replay?.run ? `Replaying as run #${done.replay.run}.` : done.replay?.message ?? 'Replay it from the inbox when ready.';
      toast.success(what, rerun);
      onDecided(done.review);
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <article className="mr-card" data-testid={`match-review-${r.id}`} data-status={r.status}>
      <header className="mr-head">
        <div>
          <h2 className="mr-title">
            {systemLabel(r.source_system)} {r.entity} “{fieldText(source, 'name')}”
          </h2>
          <p className="muted small">
            {systemLabel(r.source_system)} id {r.source_id} · {candidates.length} similar {target} {r.entity}
            {candidates.length === 1 ? '' : 's'} · held {timeAgo(r.created_at)}
            {r.run_id != null && (
              <>
                {' · '}
                <Link to={`/runs/${r.run_id}`}>run #{r.run_id}</Link>
              </>
            )}
            {!pending && ` · ${r.status === 'linked' ? `linked to ${r.target_id}` : 'create new'}${r.decided_by ? ` by ${r.decided_by}` : ''}`}
          </p>
        </div>
        <StatusBadge status={r.status} />
      </header>
      <div className="mr-grid-wrap">
        <table className="mr-grid" data-testid={`match-grid-${r.id}`}>
          <thead>
            <tr>
              <th />
              <th>
                {systemLabel(r.source_system)} (incoming)
              </th>
              {candidates.map((c) => (
                <th key={c.id} data-testid={`match-candidate-${r.id}-${c.id}`}>
                  {target} {c.id}
                  <div className={`mr-score mr-${c.verdict}`}>
                    {c.verdict} · {scoreText(c.score)}
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {FIELDS.map((f) => (
              <tr key={f.key}>
                <th scope="row">{f.label}</th>
                <td>{fieldText(source, f.key)}</td>
                {candidates.map((c) => (
                  <td key={c.id} className={`mr-cmp mr-${comparison(c, f.key)}`} title={comparison(c, f.key)}>
                    {fieldText(c.record, f.key)}
                  </td>
                ))}
              </tr>
            ))}
            <tr>
              <th scope="row">Why</th>
              <td />
              {candidates.map((c) => (
                <td key={c.id} className="small">
                  {c.reasons.join('; ') || '—'}
                  {c.linked_to && <div className="mr-warn">Already linked to {systemLabel(r.source_system)} {c.linked_to}</div>}
                </td>
              ))}
            </tr>
            {pending && (
              <tr>
                <th scope="row" />
                <td />
                {candidates.map((c) => (
                  <td key={c.id}>
                    <button
                      className="primary"
                      disabled={busy !== null}
                      onClick={() => void decide('link', c.id)}
                      data-testid={`match-link-${r.id}-${c.id}`}
                    >
                      {busy === c.id ? <Spinner label="Linking…" /> : `Link to ${c.id}`}
                    </button>
                  </td>
                ))}
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {pending && (
        <footer className="mr-actions">
          <button disabled={busy !== null} onClick={() => void decide('create')} data-testid={`match-create-${r.id}`}>
            {busy === 'create' ? <Spinner label="Saving…" /> : `None of these: create a new ${target} ${r.entity}`}
          </button>
          <label className="small">
            <input type="checkbox" checked={replay} onChange={(e) => setReplay(e.target.checked)} data-testid={`match-replay-${r.id}`} />{' '}
            Replay the held item now
          </label>
          {problem && (
            <span className="mr-problem" role="alert" data-testid={`match-problem-${r.id}`}>
              {problem}
            </span>
          )}
        </footer>
      )}
    </article>
  );
}

export function MatchReviewsPage() {
  const { organisation } = useSession();
  const [view, setView] = useState(VIEWS[0].key);
  const query = useMemo(() => VIEWS.find((v) => v.key === view)!.query, [view]);
  const resource = useResource(organisation ? [organisation.id, view] : null, () =>
    matchReviewsApi.list(organisation!.id, query),
  );
  const { refresh } = resource;
  useEffect(() => {
    if (view !== 'pending') return;
    const timer = window.setInterval(() => void refresh(), 15_000);
    return () => window.clearInterval(timer);
  }, [view, refresh]);
  const onDecided = (done: MatchReview) =>
    resource.update((data) => (data ? { ...data, results: data.results.map((r) => (r.id === done.id ? done : r)) } : data));
  return (
    <main className="page mr-page" data-testid="match-reviews-page">
      <div className="page-head">
        <h1>Match reviews</h1>
        <ViewTabs views={VIEWS} view={view} onChange={setView} testid="match-view" />
      </div>
      <ResourceState
        resource={resource}
        what="match reviews"
        testid="match-reviews"
        isEmpty={(d) => d.results.length === 0}
        empty={{
          title: view === 'pending' ? 'No duplicates to decide' : 'Nothing decided yet',
          body: 'A customer sync holds a record here when it looks like, but is not certainly, a customer the ERP already has.',
          testid: 'match-reviews-empty',
        }}
      >
        {(data) => (
          <div className="mr-list">
            {data.results.map((r) => (
              <ReviewCard key={`${r.id}-${r.status}`} r={r} onDecided={onDecided} />
            ))}
          </div>
        )}
      </ResourceState>
    </main>
  );
}
