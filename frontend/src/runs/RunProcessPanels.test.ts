import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { nodeRun, runDetail } from '../test-fixtures';
import { ToastProvider } from '../ui/toast';
import { SagaPanel, WaitingBanner, waitingSteps } from './RunProcessPanels';

const html = (el: ReactElement) =>
  renderToStaticMarkup(createElement(MemoryRouter, null, createElement(ToastProvider, null, el)));

describe('WaitingBanner', () => {
  const callback = nodeRun({
    node_id: 'b',
    status: 'waiting',
    waiting: { reason: 'callback', wake_at: null, resume_url: 'https://flows.example.com/hooks/resume/abc/', approval_id: null },
  });
  const approval = nodeRun({
    node_id: 'c',
    status: 'waiting',
    waiting: { reason: 'approval', wake_at: '2026-12-07T09:00:00Z', resume_url: null, approval_id: 42 },
  });

  it('shows the resume URL of a callback wait and links an approval wait to its request', () => {
    const run = runDetail({ status: 'waiting', node_runs: [nodeRun({ node_id: 'a' }), callback, approval] });
    expect(waitingSteps(run).map((n) => n.node_id)).toEqual(['b', 'c']);
    const out = html(createElement(WaitingBanner, { run }));
    expect(out).toContain('Waiting at Map');
    expect(out).toContain('https://flows.example.com/hooks/resume/abc/');
    expect(out).toContain('with no time limit');
    expect(out).toContain('href="/approvals?focus=42"');
  });

  it('says nothing once the run is no longer waiting', () => {
    const run = runDetail({ status: 'succeeded', node_runs: [callback] });
    expect(html(createElement(WaitingBanner, { run }))).not.toContain('run-waiting');
  });
});

describe('SagaPanel', () => {
  it('lists the undo steps in the order they run, with their state and errors', () => {
    const run = runDetail({
      status: 'failed',
      compensations: [
        { node_id: 'a', order: 1, status: 'failed', attempt: 3, error: { message: 'ERP refused the delete' }, started_at: null, finished_at: null },
        { node_id: 'b', order: 0, status: 'succeeded', attempt: 1, error: null, started_at: null, finished_at: null },
      ],
    });
    const out = html(createElement(SagaPanel, { run }));
    expect(out).toContain('1 of 2 undone');
    expect(out.indexOf('saga-b')).toBeLessThan(out.indexOf('saga-a'));
    expect(out).toContain('attempt 3');
    expect(out).toContain('ERP refused the delete');
  });

  it('is absent when nothing was undone', () => {
    expect(html(createElement(SagaPanel, { run: runDetail() }))).not.toContain('saga-panel');
  });
});
