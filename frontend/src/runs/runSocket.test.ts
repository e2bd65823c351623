import { describe, expect, it } from 'vitest';
import { RunSocket } from './runSocket';
import { DocumentStore } from '../store/documentStore';
import { TYPES, runDetail } from '../test-fixtures';
import type { RunDetail } from '../api/types';

class FakeWS {
  static all: FakeWS[] = [];
  sent: string[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(public url: string) {
    FakeWS.all.push(this);
  }
  send(d: string) {
    this.sent.push(d);
  }
  close() {}
}

const run: RunDetail = runDetail({ id: 5, last_seq: 3 });

describe('RunSocket', () => {
  it('applies the snapshot and events through the store, resumes after reconnect', () => {
    FakeWS.all = [];
    const store = new DocumentStore({ types: TYPES });
    store.runStarted(5);
    const timers: (() => void)[] = [];
    const sock = new RunSocket(
      { onSnapshot: (r, seq) => store.runSnapshot(r, seq), onEvents: (ev) => store.runEvents(ev) },
      { url: 'ws://x/ws/runs/5/', getLastSeq: () => store.getState().run?.lastSeq ?? 0, create: (u) => new FakeWS(u), setTimer: (fn) => timers.push(fn), random: () => 0.5 },
    );
    sock.start();
    const ws1 = FakeWS.all[0];
    ws1.onopen?.({});
    expect(ws1.sent).toEqual([]);
    ws1.onmessage?.({ data: JSON.stringify({ type: 'snapshot', seq: 3, run }) });
    ws1.onmessage?.({ data: JSON.stringify({ type: 'events', events: [{ seq: 4, type: 'node.started', node_id: 'b', payload: {}, at: '' }] }) });
    expect(store.getState().run?.nodes.b.status).toBe('running');
    ws1.onclose?.({ code: 1006 });
    expect(timers).toHaveLength(1);
    timers[0]();
    const ws2 = FakeWS.all[1];
    ws2.onopen?.({});
    expect(JSON.parse(ws2.sent[0])).toEqual({ type: 'resume', after_seq: 4 });
    ws2.onmessage?.({ data: JSON.stringify({ type: 'events', events: [{ seq: 4, type: 'node.failed', node_id: 'b', payload: {}, at: '' }, { seq: 5, type: 'node.succeeded', node_id: 'b', payload: { output_counts: { main: 1 } }, at: '' }] }) });
    expect(store.getState().run?.nodes.b.status).toBe('succeeded');
    sock.stop();
  });

  it('does not retry when access is denied', () => {
    FakeWS.all = [];
    const statuses: string[] = [];
    const timers: (() => void)[] = [];
    const sock = new RunSocket({ onSnapshot: () => {}, onEvents: () => {}, onStatus: (s) => statuses.push(s) }, { url: 'u', getLastSeq: () => 0, create: (u) => new FakeWS(u), setTimer: (fn) => timers.push(fn) });
    sock.start();
    FakeWS.all[0].onclose?.({ code: 4403 });
    expect(timers).toHaveLength(0);
    expect(statuses).toContain('denied');
  });

  it('backs off exponentially with a cap', () => {
    expect(RunSocket.backoff(1, 15000, () => 1)).toBe(500);
    expect(RunSocket.backoff(4, 15000, () => 1)).toBe(4000);
    expect(RunSocket.backoff(20, 15000, () => 1)).toBe(15000);
  });
});
