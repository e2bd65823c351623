import { useEffect, useState } from 'react';
import { wsUrl } from '../api/client';
import { runsApi } from '../api/runs';
import { isTerminalRun, type DocumentStore } from '../store/documentStore';
import { RunSocket, type SocketStatus } from './runSocket';

/** Follows a run over the websocket, applying frames through the store; fetches items when it ends. */
export function useLiveRun(store: DocumentStore, runId: number | null): SocketStatus | null {
  const [status, setStatus] = useState<SocketStatus | null>(null);
  useEffect(() => {
    if (runId === null) return;
    let done = false;
    const fetchDetail = () =>
      runsApi.get(runId).then((d) => store.getState().run?.id === runId && store.runSnapshot(d, d.last_seq), () => undefined);
    const sock = new RunSocket(
      {
        onSnapshot: (run, seq) => {
          store.runSnapshot(run, seq);
          if (isTerminalRun(run.status)) {
            done = true;
            window.setTimeout(() => sock.stop(), 0);
          }
        },
        onEvents: (events) => {
          store.runEvents(events);
          const st = store.getState().run?.status;
          if (!done && isTerminalRun(st)) {
            done = true;
            void fetchDetail().then(() => sock.stop());
          }
        },
        onStatus: (s) => setStatus(s),
      },
      { url: wsUrl(`/ws/runs/${runId}/`), getLastSeq: () => store.getState().run?.lastSeq ?? 0 },
    );
    sock.start();
    return () => sock.stop();
  }, [store, runId]);
  return status;
}
