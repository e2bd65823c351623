// Under a schedule trigger's settings: the next five times it fires, as the server computes them (the
// organisation's time zone, daylight saving included), refreshed as the expression or interval changes.
import { useEffect, useState } from 'react';
import { flowsApi } from '../api/flows';
import { errorMessage } from '../api/client';
import type { JSONValue, ScheduleConfig, SchedulePreview as Preview } from '../api/types';
import { useDebounced } from '../lib/hooks';
import { useEditor } from './storeContext';

/** The part of the node's config the preview depends on (its JSON is the refresh key). */
export function scheduleConfig(config: Record<string, JSONValue>): ScheduleConfig {
  const mode = config.mode === 'cron' ? 'cron' : 'interval';
  if (mode === 'cron') return { mode, cron: typeof config.cron === 'string' ? config.cron : '0 * * * *' };
  return { mode, interval_s: typeof config.interval_s === 'number' ? config.interval_s : 3600 };
}

/** "Mon 30 Mar, 02:30" in the organisation's zone, read from the offset the server sent. */
export function localTime(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  if (!match) return iso;
  const [, y, mo, d, h, mi] = match;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const weekday = day.toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
  const month = day.toLocaleDateString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${weekday} ${Number(d)} ${month} ${y}, ${h}:${mi}`;
}

export function SchedulePreview({ config }: { config: Record<string, JSONValue> }) {
  const flowId = useEditor((s) => s.flowId);
  const key = useDebounced(JSON.stringify(scheduleConfig(config)), 400);
  const [state, setState] = useState<{ preview: Preview | null; error: string }>({ preview: null, error: '' });
  useEffect(() => {
    if (flowId === null) return;
    let current = true;
    flowsApi.schedulePreview(flowId, JSON.parse(key) as ScheduleConfig).then(
      (preview) => current && setState({ preview, error: '' }),
      (e: unknown) => current && setState({ preview: null, error: errorMessage(e, { fieldNames: false }) }),
    );
    return () => {
      current = false;
    };
  }, [flowId, key]);
  if (flowId === null) return null;
  return (
    <div className="schedule-preview" data-testid="schedule-preview" aria-live="polite">
      <div className="muted small">Next runs{state.preview ? ` (${state.preview.timezone})` : ''}</div>
      {state.error ? (
        <p className="small error-text" data-testid="schedule-preview-error">{state.error}</p>
      ) : (
        <ol className="small">
          {(state.preview?.times ?? []).map((t) => (
            <li key={t.utc} title={`${t.utc} UTC`}>
              {localTime(t.local)}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
