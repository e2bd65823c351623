import { createContext, useContext, useSyncExternalStore } from 'react';
import type { DocumentStore, EditorState } from '../store/documentStore';

export const StoreContext = createContext<DocumentStore | null>(null);

export function useStore(): DocumentStore {
  const s = useContext(StoreContext);
  if (!s) throw new Error('useStore outside an editor');
  return s;
}

/** Subscribes to a slice of the editor state; return stable values (state fields) from selectors. */
export function useEditor<T>(selector: (s: EditorState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => selector(store.getState()));
}
