// What a long business process is doing right now: the steps it waits at (and how to wake them), and
// its saga (completed steps being undone after a final failure). Both read the run detail's own fields.
import { Link } from 'react-router';
import type { RunDetail } from '../api/types';
import { StatusBadge } from '../ui/bits';
import { clock } from '../lib/format';
import { useToast } from '../ui/toast';

function labelOf(run: RunDetail, nodeId: string): string {
  return run.document.nodes.find((n) => n.id === nodeId)?.label || nodeId;
}

export function waitingSteps(run: RunDetail) {
  return run.node_runs.filter((n) => n.status === 'waiting' && n.waiting);
}

/** One line per parked step: until when, and the way to wake it (callback URL, approval link). */
export function WaitingBanner({ run }: { run: RunDetail }) {
  const toast = useToast();
  const steps = waitingSteps(run);
  if (run.status !== 'waiting' || steps.length === 0) return null;
  return (
    <div className="banner banner-info run-waiting" role="status" data-testid="run-waiting">
      <div>
        {steps.map((step) => {
          const w = step.waiting!;
          const until = w.wake_at ? `until ${clock(w.wake_at)}` : 'with no time limit';
          return (
            <div key={step.node_id} data-testid={`waiting-${step.node_id}`}>
              <strong>Waiting at {labelOf(run, step.node_id)}</strong>{' '}
              {w.reason === 'approval' && w.approval_id !== null ? (
                <>
                  for a person's decision ({until}). <Link to={`/approvals?focus=${w.approval_id}`}>Open the approval</Link>
                </>
              ) : w.reason === 'callback' && w.resume_url ? (
                <>
                  for a call to its resume URL ({until}): <code className="resume-url">{w.resume_url}</code>{' '}
                  <button
                    className="ghost small"
                    onClick={() =>
                      void navigator.clipboard?.writeText(w.resume_url!).then(() => toast.success('Resume URL copied'))
                    }
                  >
                    Copy
                  </button>
                </>
              ) : (
                <>({w.reason}) {until}. The worker is free; the run resumes on its own.</>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** The saga: completed steps undone in reverse order after a later step failed finally. */
export function SagaPanel({ run }: { run: RunDetail }) {
  if (run.compensations.length === 0) return null;
  const steps = [...run.compensations].sort((a, b) => a.order - b.order);
  const undone = steps.filter((s) => s.status === 'succeeded').length;
  return (
    <section className="saga-panel" data-testid="saga-panel" aria-label="Undo of completed steps">
      <h3>
        Undoing completed steps <span className="muted small">{undone} of {steps.length} undone, the last completed first</span>
      </h3>
      <ol>
        {steps.map((s) => (
          <li key={s.node_id} data-testid={`saga-${s.node_id}`} data-status={s.status}>
            <span>{labelOf(run, s.node_id)}</span> <StatusBadge status={s.status} />
            {s.attempt > 1 && <span className="muted small"> attempt {s.attempt}</span>}
            {s.error && <div className="small error-text">{s.error.message}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}
