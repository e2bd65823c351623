import { useCallback, useEffect, useRef } from 'react';
import { ApiError } from '../api/client';
import { flowsApi } from '../api/flows';
import type { ConflictBody } from '../api/types';
import type { DocumentStore } from '../store/documentStore';

export const AUTOSAVE_MS = 1500;
const RETRY_MS = 5000;

/**
 * Saves the draft ~1.5 s after the last change (and on demand). Every outcome goes back through the
 * store: success (revision, findings), 409 conflict (banner), other errors (retry later).
 */
export function useAutosave(store: DocumentStore, flowId: number, onError: (title: string, hint: string) => void) {
  const timer = useRef<number | null>(null);
  const inflight = useRef<Promise<boolean> | null>(null);

  const clear = () => {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
  };

  const save = useCallback(
    async (force = false): Promise<boolean> => {
      clear();
      if (inflight.current) {
        await inflight.current;
        if (!force && !store.isDirty) return true;
      }
      const st = store.getState();
      if (st.readOnly || st.flowId !== flowId) return false;
      if (st.save.status === 'conflict' && !force) return false;
      if (!force && !store.isDirty) return true;
      const sent = store.beginSave();
      const p = (async () => {
        try {
          const res = await flowsApi.saveDraft(flowId, sent.document, sent.revision, force);
          store.saveSucceeded(res, sent.version);
          return true;
        } catch (e) {
          if (e instanceof ApiError && e.status === 409) {
            store.saveConflict(e.body as ConflictBody);
          } else if (e instanceof ApiError && e.status === 403) {
            // Not allowed: say so, and do not retry (it would be refused the same way forever).
            store.saveFailed(e.message);
            onError('Draft not saved: not allowed', `${e.message} Your changes stay in this tab only.`);
          } else if (e instanceof ApiError && e.status === 400) {
            store.saveFailed(e.message, e.findings.length ? e.findings : undefined);
            onError('Draft not saved', e.findings.length ? 'Fix the nodes marked red; saving resumes with your next change.' : e.message);
          } else {
            store.saveFailed(e instanceof Error ? e.message : String(e));
            onError('Draft not saved', 'Your changes are kept in this tab. Retrying in a few seconds; check your connection.');
            timer.current = window.setTimeout(() => void save(), RETRY_MS);
          }
          return false;
        } finally {
          inflight.current = null;
        }
      })();
      inflight.current = p;
      const ok = await p;
      if (ok && store.isDirty) schedule();
      return ok;
    },
    // schedule is stable (defined below via ref)
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [store, flowId, onError],
  );

  const saveRef = useRef(save);
  saveRef.current = save;
  const schedule = useCallback((ms = AUTOSAVE_MS) => {
    clear();
    timer.current = window.setTimeout(() => void saveRef.current(), ms);
  }, []);

  useEffect(() => {
    let last = store.getState().docVersion;
    const unsub = store.subscribe(() => {
      const s = store.getState();
      if (s.docVersion === last) return;
      last = s.docVersion;
      if (store.isDirty && s.save.status !== 'conflict') schedule();
    });
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (store.isDirty) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      unsub();
      clear();
      window.removeEventListener('beforeunload', beforeUnload);
      // Leaving the editor inside the app (Flows, the back arrow): flush the pending save now rather
      // than drop it with the debounce timer; the request outlives the page's components.
      if (store.isDirty && store.getState().save.status !== 'conflict') void saveRef.current();
    };
  }, [store, schedule]);

  return save;
}
