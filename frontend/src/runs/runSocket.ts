// Websocket client for /ws/runs/{id}/: snapshot first, then event frames; reconnects with backoff
// and asks the server to resume after the last seq it applied.
import type { RunDetail, RunEvent, RunFrame } from '../api/types';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'denied';

export interface RunSocketHandlers {
  onSnapshot: (run: RunDetail, seq: number) => void;
  onEvents: (events: RunEvent[]) => void;
  onStatus?: (s: SocketStatus, info?: string) => void;
}

interface WSLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

export interface RunSocketOptions {
  url: string;
  getLastSeq: () => number;
  create?: (url: string) => WSLike;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  maxDelayMs?: number;
  random?: () => number;
}

export class RunSocket {
  private ws: WSLike | null = null;
  private attempts = 0;
  private stopped = false;
  private timer: unknown = null;
  private connectedOnce = false;

  constructor(private readonly handlers: RunSocketHandlers, private readonly opts: RunSocketOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) (this.opts.clearTimer ?? clearTimeout)(this.timer as never);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
    this.handlers.onStatus?.('closed');
  }

  /** Delay before reconnect attempt n (1-based): exponential, capped, with jitter. */
  static backoff(n: number, max = 15000, random: () => number = Math.random): number {
    const base = Math.min(max, 500 * 2 ** Math.min(n - 1, 10));
    return Math.round(base / 2 + (random() * base) / 2);
  }

  private connect(): void {
    const create = this.opts.create ?? ((u: string) => new WebSocket(u) as unknown as WSLike);
    this.handlers.onStatus?.(this.connectedOnce ? 'reconnecting' : 'connecting');
    const ws = create(this.opts.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.handlers.onStatus?.('open');
      if (this.connectedOnce) ws.send(JSON.stringify({ type: 'resume', after_seq: this.opts.getLastSeq() }));
      this.connectedOnce = true;
    };
    ws.onmessage = (ev) => {
      let frame: RunFrame;
      try {
        frame = JSON.parse(String(ev.data)) as RunFrame;
      } catch {
        return;
      }
      if (frame.type === 'snapshot') this.handlers.onSnapshot(frame.run, frame.seq);
      else if (frame.type === 'events') this.handlers.onEvents(frame.events);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === 4403 || ev.code === 4404 || ev.code === 4401) {
        this.handlers.onStatus?.('denied', ev.code === 4404 ? 'This run does not exist.' : 'You do not have access to this run.');
        return;
      }
      this.attempts += 1;
      const delay = RunSocket.backoff(this.attempts, this.opts.maxDelayMs, this.opts.random);
      this.handlers.onStatus?.('reconnecting');
      this.timer = (this.opts.setTimer ?? setTimeout)(() => {
        this.timer = null;
        if (!this.stopped) this.connect();
      }, delay);
    };
  }
}
