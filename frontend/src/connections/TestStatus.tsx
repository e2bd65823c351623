// The result of a connection test: in a table cell (compact) and in the dialog (callout with advice).
import { Spinner } from '../ui/bits';
import { clock, timeAgo } from '../lib/format';
import { nextStepFor } from './model';

export interface TestView {
  testing: boolean;
  ok: boolean | null;
  message: string;
  at: string | null;
}

/** Compact: badge + time; a failure shows the message and a "What to do next" disclosure. */
export function TestCell({ view, testid }: { view: TestView; testid: string }) {
  const state = view.testing ? 'testing' : view.ok === null ? 'never' : view.ok ? 'ok' : 'failed';
  return (
    <div className="conn-test-cell" data-testid={testid} data-state={state} aria-live="polite">
      {view.testing ? (
        <span className="row gap-s muted small">
          <Spinner label="Testing connection" /> Testing…
        </span>
      ) : view.ok === null ? (
        <span className="badge badge-none">not tested</span>
      ) : (
        <>
          <span className="row gap-s">
            <span className={`badge ${view.ok ? 'badge-succeeded' : 'badge-failed'}`}>{view.ok ? 'ok' : 'failed'}</span>
            <span className="muted small" title={clock(view.at)}>
              {timeAgo(view.at)}
            </span>
          </span>
          {view.message && (
            <div className={`small conn-test-message${view.ok ? ' muted' : ' error-text'}`} title={view.message}>
              {view.message}
            </div>
          )}
          {!view.ok && (
            <details className="conn-next small">
              <summary>What to do next</summary>
              <p>{nextStepFor(view.message)}</p>
            </details>
          )}
        </>
      )}
    </div>
  );
}

/** Full: the dialog's callout after "Test connection". */
export function TestCallout({ view }: { view: TestView }) {
  if (!view.testing && view.ok === null) return null;
  if (view.testing) {
    return (
      <div className="callout conn-callout" data-testid="connection-test-result" data-state="testing" role="status">
        <span className="row gap-s">
          <Spinner label="Testing connection" /> Testing the connection…
        </span>
      </div>
    );
  }
  return (
    <div
      className={`callout ${view.ok ? 'conn-callout-ok' : 'callout-error'}`}
      data-testid="connection-test-result"
      data-state={view.ok ? 'ok' : 'failed'}
      role={view.ok ? 'status' : 'alert'}
    >
      <strong>{view.ok ? 'Connection works' : 'Connection test failed'}</strong>
      <span className="muted small"> · {clock(view.at)}</span>
      {view.message && <div className="conn-callout-message">{view.message}</div>}
      {!view.ok && (
        <div className="conn-callout-next">
          <strong>What to do next: </strong>
          {nextStepFor(view.message)}
        </div>
      )}
    </div>
  );
}
