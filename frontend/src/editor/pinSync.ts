// Keeps the editor store's pinned data in step with the server (GET on open; PUT/DELETE per changed node).
// The store stays the one mutation path: components call store.setPinned, this hook only mirrors it.
import { useEffect, useRef } from 'react';
import { historyApi } from '../api/history';
import type { Item } from '../api/types';
import type { DocumentStore } from '../store/documentStore';

type Pins = Record<string, Item[]>;

/** Node ids whose pin differs between ``before`` and ``after`` (added, replaced or removed). */
export function changedPins(before: Pins, after: Pins): { put: [string, Item[]][]; remove: string[] } {
  const put = Object.entries(after).filter(([k, v]) => before[k] !== v);
  const remove = Object.keys(before).filter((k) => !(k in after));
  return { put, remove };
}

export function usePinSync(store: DocumentStore, flowId: number, onError: (title: string, hint: string) => void): void {
  const synced = useRef<Pins | null>(null);
  useEffect(() => {
    let alive = true;
    synced.current = null;
    historyApi.pins(flowId).then(
      (pins) => {
        if (!alive) return;
        for (const p of pins) store.setPinned(p.node_id, p.items);
        synced.current = store.getState().pinned;
      },
      () => {
        if (alive) synced.current = store.getState().pinned;
      },
    );
    const unsubscribe = store.subscribe(() => {
      const now = store.getState().pinned;
      const before = synced.current;
      if (before === null || before === now) return;
      synced.current = now;
      const { put, remove } = changedPins(before, now);
      const readOnly = store.getState().readOnly;
      if (readOnly) return;
      for (const [nodeId, items] of put) historyApi.pin(flowId, nodeId, items).catch((e: Error) => onError('Pinned data not saved', e.message));
      for (const nodeId of remove) historyApi.unpin(flowId, nodeId).catch((e: Error) => onError('Unpin not saved', e.message));
    });
    return () => {
      alive = false;
      unsubscribe();
    };
  }, [store, flowId, onError]);
}
