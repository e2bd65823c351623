import { describe, expect, it } from 'vitest';
import { localTime, scheduleConfig } from './SchedulePreview';

describe('schedule preview', () => {
  it('sends only what the preview depends on', () => {
    expect(scheduleConfig({ mode: 'cron', cron: '30 2 * * *', interval_s: 60 })).toEqual({ mode: 'cron', cron: '30 2 * * *' });
    expect(scheduleConfig({ interval_s: 600 })).toEqual({ mode: 'interval', interval_s: 600 });
    expect(scheduleConfig({ mode: 'cron' })).toEqual({ mode: 'cron', cron: '0 * * * *' });
  });

  it('shows the time as the organisation sees it, whatever the browser zone', () => {
    expect(localTime('2026-03-29T03:00:00+02:00')).toBe('Sun 29 Mar 2026, 03:00');
    expect(localTime('2026-10-25T02:30:00+01:00')).toBe('Sun 25 Oct 2026, 02:30');
    expect(localTime('not a time')).toBe('not a time');
  });
});
