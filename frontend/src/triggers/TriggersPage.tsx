// /triggers: the organisation's triggers that run on their own (connector polling triggers and schedules),
// their health, and the operator's levers: pause, resume, poll now. Refreshes every 10 s while visible.
import { environmentLabel } from '../environments/model';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { runTriggerAction, triggersApi } from '../api/triggers';
import type { Trigger, TriggerAction } from '../api/types';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { EmptyState, Spinner } from '../ui/bits';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { clock, timeAgo } from '../lib/format';
import {
  FILTERS, actionDoneText, actionVerb, canOperate, countByHealth, errorText, failureHint, failuresText, filterCounts,
  filterTriggers, healthDescription, healthLabel, healthTone, kindText, nextPollText, operateBlockedReason, replaceTrigger,
  rowActions, summaryLine, type HealthFilter,
} from './model';
import './triggers.css';

const REFRESH_MS = 10_000;

const describeError = (e: unknown) => (e instanceof ApiError ? errorText(e) : e instanceof Error ? e.message : String(e));

function HealthChip({ t }: { t: Trigger }) {
  return (
    <span
      className={`trg-health trg-tone-${healthTone(t.health)}`}
      data-testid={`trigger-health-${t.id}`}
      data-health={t.health}
      title={healthDescription(t.health)}
    >
      <span className="trg-health-dot" aria-hidden />
      {healthLabel(t.health)}
    </span>
  );
}

interface RowProps {
  t: Trigger;
  now: number;
  role: string | undefined;
  busy: TriggerAction | undefined;
  onAction: (t: Trigger, action: TriggerAction) => void;
}

function TriggerRows({ t, now, role, busy, onAction }: RowProps) {
  const actions = rowActions(t, { role, busy: !!busy });
  const failing = t.health === 'failing';
  const button = (action: TriggerAction, label: string, testid: string, extra = '') => (
    <button
      type="button"
      className={`small ${extra}`}
      onClick={() => onAction(t, action)}
      disabled={actions.disabled}
      title={actions.reason}
      data-testid={`${testid}-${t.id}`}
      aria-label={`${label} “${t.node_label}” in ${t.flow_name}`}
    >
      {busy === action ? <Spinner label={`${label}…`} /> : label}
    </button>
  );
  return (
    <>
      <tr data-testid={`trigger-row-${t.id}`} data-health={t.health} className={failing ? 'trg-row trg-row-failing' : 'trg-row'}>
        <td>
          <Link to={`/flows/${t.flow}`} className="strong" title="Open the flow in the editor">
            {t.flow_name}
          </Link>
          {t.environment !== 'prod' && (
            <span className={`env-badge env-${t.environment}`} data-testid={`trigger-env-${t.id}`} title="Fires for this environment's release">
              {' '}
              {environmentLabel(t.environment)}
            </span>
          )}
        </td>
        <td>
          <span className="trg-node-label">{t.node_label}</span>
          <code className="muted small trg-block">{t.node_type}</code>
        </td>
        <td className="trg-nowrap">{kindText(t)}</td>
        <td>
          <HealthChip t={t} />
          {t.paused_at && (
            <span className="muted small trg-block" title={clock(t.paused_at)}>
              {t.paused_by ? `by ${t.paused_by} · ` : ''}
              {timeAgo(t.paused_at, now)}
            </span>
          )}
        </td>
        <td
          className="trg-nowrap"
          title={`Last poll: ${clock(t.last_polled_at)}\nLast success: ${clock(t.last_success_at)}`}
          data-testid={`trigger-last-poll-${t.id}`}
        >
          {t.last_polled_at ? timeAgo(t.last_polled_at, now) : <span className="muted">never</span>}
        </td>
        <td className="trg-nowrap" title={t.paused_at ? 'Not polled while paused' : clock(t.next_poll_at)} data-testid={`trigger-next-poll-${t.id}`}>
          <span className={t.paused_at ? 'trg-paused-text' : undefined}>{nextPollText(t, now)}</span>
        </td>
        <td className="trg-nowrap">
          <span
            className="trg-runs"
            title={`Not started again: ${t.duplicates_skipped} record versions already run, ${t.echoes_skipped} changes written by our own flows`}
            data-testid={`trigger-runs-${t.id}`}
          >
            {t.runs_started}
          </span>
          {t.echoes_skipped + t.duplicates_skipped > 0 && (
            <span className="small muted" data-testid={`trigger-skipped-${t.id}`}>
              {' '}
              ({t.echoes_skipped + t.duplicates_skipped} skipped)
            </span>
          )}
          {t.last_run !== null && (
            <Link to={`/runs/${t.last_run}`} className="small trg-last-run" data-testid={`trigger-last-run-${t.id}`} title="Open the last run this trigger started">
              last #{t.last_run}
            </Link>
          )}
        </td>
        <td className="trg-actions">
          <span className="row gap-s">
            {actions.pause && button('pause', 'Pause', 'trigger-pause')}
            {actions.resume && button('resume', 'Resume', 'trigger-resume', 'primary')}
            {actions.pollNow && button('poll-now', 'Poll now', 'trigger-poll')}
          </span>
        </td>
      </tr>
      {failing && (
        <tr className="trg-error-row" data-testid={`trigger-error-${t.id}`}>
          <td colSpan={8}>
            <div className="trg-error">
              <span className="trg-error-count">{failuresText(t.consecutive_failures)}</span>
              <span className="trg-error-text" title={t.last_error}>
                {t.last_error || 'The last poll failed.'}
              </span>
            </div>
            <div className="trg-hint small">
              {failureHint(t)}
              {t.kind === 'poll' && (
                <>
                  {' '}
                  <Link to="/connections">Open Connections</Link>
                </>
              )}
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

export function TriggersPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const orgId = organisation?.id;
  const role = organisation?.role;
  const mayOperate = canOperate(role);
  const listed = useResource(orgId ? [orgId] : null, () => triggersApi.list(orgId!));
  const triggers = listed.data?.results ?? null;
  const total = listed.data?.count ?? 0;
  // A failed background refresh keeps the rows on screen and says so; a failed first load cannot.
  const refreshError = listed.data && listed.error ? describeError(listed.error) : null;
  const loadedAt = listed.loadedAt;
  const { refresh, update } = listed;
  const [manual, setManual] = useState(false);
  const [tick, setTick] = useState(() => Date.now());
  const now = Math.max(tick, loadedAt ?? 0);
  const [filter, setFilter] = useState<HealthFilter>('all');
  const [busy, setBusy] = useState<Map<number, TriggerAction>>(new Map());

  // Every 10 s while the tab is visible, and at once when it becomes visible again.
  useEffect(() => {
    const visible = () => document.visibilityState === 'visible';
    const timer = window.setInterval(() => {
      if (!visible()) return;
      setTick(Date.now());
      void refresh();
    }, REFRESH_MS);
    const onVisibility = () => {
      if (visible()) void refresh();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [refresh]);

  const act = useCallback(
    async (t: Trigger, action: TriggerAction) => {
      setBusy((m) => new Map(m).set(t.id, action));
      try {
        const updated = await runTriggerAction(action, t.id);
        // A local update: a refresh that started before this answer is dropped, so it cannot undo it.
        update((page) => page && { ...page, results: replaceTrigger(page.results, updated) });
        setTick(Date.now());
        const done = actionDoneText(action, updated);
        toast.success(done.title, done.hint);
      } catch (e) {
        toast.error(`Could not ${actionVerb(action)} “${t.node_label}”`, describeError(e));
        // Refused because the row was out of date (already paused, removed meanwhile): show the truth.
        if (e instanceof ApiError && (e.status === 400 || e.status === 404)) void refresh();
      } finally {
        setBusy((m) => {
          const next = new Map(m);
          next.delete(t.id);
          return next;
        });
      }
    },
    [toast, refresh, update],
  );

  const refreshNow = async () => {
    setManual(true);
    try {
      await refresh();
    } finally {
      setManual(false);
    }
  };

  const onAction = useCallback((t: Trigger, action: TriggerAction) => void act(t, action), [act]);
  const counts = useMemo(() => countByHealth(triggers ?? []), [triggers]);
  const chipCounts = filterCounts(counts);
  const shown = useMemo(() => filterTriggers(triggers ?? [], filter), [triggers, filter]);

  return (
    <div className="page" data-testid="triggers-page">
      <div className="page-head">
        <div>
          <h1>Triggers</h1>
          <p className="muted">{organisation?.name} · flows that start on their own: polling connector triggers and schedules</p>
        </div>
        <div className="row gap">
          <span className={`small ${refreshError ? 'error-text' : 'muted'}`} data-testid="triggers-updated" title={refreshError ?? (loadedAt ? clock(new Date(loadedAt).toISOString()) : undefined)}>
            {refreshError ? 'Could not refresh' : loadedAt ? `Updated ${timeAgo(new Date(loadedAt).toISOString(), now)} · every 10 s` : ''}
          </span>
          <button type="button" onClick={() => void refreshNow()} disabled={manual || !triggers} data-testid="triggers-refresh">
            {manual ? <Spinner label="Refreshing" /> : 'Refresh'}
          </button>
        </div>
      </div>
      {!mayOperate && triggers && triggers.length > 0 && (
        <div className="callout trg-callout" role="note" data-testid="triggers-readonly">
          {operateBlockedReason(role)}
        </div>
      )}
      {triggers && triggers.length > 0 && (
        <div className="filters trg-filters">
          <div className="trg-chips" role="group" aria-label="Filter by health">
            {FILTERS.map((f) => (
              <button
                key={f.value}
                type="button"
                className={`trg-chip${filter === f.value ? ' on' : ''}${f.value === 'failing' && chipCounts.failing ? ' trg-chip-alert' : ''}`}
                aria-pressed={filter === f.value}
                title={f.title}
                onClick={() => setFilter(f.value)}
                data-testid={`triggers-filter-${f.value}`}
              >
                {f.label} <span className="trg-chip-count">{chipCounts[f.value]}</span>
              </button>
            ))}
          </div>
          <span className="muted trg-summary" data-testid="triggers-summary">
            {summaryLine(counts)}
          </span>
        </div>
      )}
      <ResourceState
        resource={listed}
        what="triggers"
        testid="triggers"
        rows={5}
        describe={describeError}
        isEmpty={(page) => page.results.length === 0}
        empty={{
          title: 'No polling or schedule triggers yet',
          body: 'Publishing a flow whose trigger is a polling connector trigger (such as “Kantata: Record created or updated”) or a Schedule adds it here. Webhook and manual triggers start when called, so they are not listed.',
          action: (
            <Link to="/" className="button primary">
              Go to flows
            </Link>
          ),
          testid: 'triggers-empty',
        }}
      >
        {({ results: rows }) =>
          shown.length === 0 ? (
            <EmptyState
              title={`No ${filter} triggers`}
              body="Every trigger is in another state right now."
              action={<button onClick={() => setFilter('all')}>Show all</button>}
              testid="triggers-filter-empty"
            />
          ) : (
            <>
              <table className="table trg-table" data-testid="triggers-table">
                <thead>
                  <tr>
                    <th>Flow</th>
                    <th>Trigger</th>
                    <th>Kind</th>
                    <th>Health</th>
                    <th>Last poll</th>
                    <th>Next poll</th>
                    <th>Runs started</th>
                    <th>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((t) => (
                    <TriggerRows key={t.id} t={t} now={now} role={role} busy={busy.get(t.id)} onAction={onAction} />
                  ))}
                </tbody>
              </table>
              {total > rows.length && (
                <p className="muted small">
                  Showing the first {rows.length} of {total} triggers.
                </p>
              )}
            </>
          )
        }
      </ResourceState>
    </div>
  );
}
