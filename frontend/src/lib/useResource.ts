// What a page shows from the API: one load at a time, its data, its error, and the three ways it changes
// (load anew, refresh in the background, a local update after a mutation). An answer that arrives after a
// newer load, a local update or a key change is stale and dropped, so a slow list cannot overwrite a newer
// one. ResourceLoader is the state machine (plain TypeScript, tested without React); useResource binds it
// to a component and reloads when its key changes. src/ui/ResourceState.tsx renders the states.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';

export interface ResourceSnapshot<T> {
  /** The last data loaded (or set by `update`); null before the first answer and after a failed load. */
  data: T | null;
  /** Why the last load failed (kept with the old data when a refresh fails); null after a success. */
  error: unknown;
  /** A load is running. */
  loading: boolean;
  /** When the last load succeeded (ms since the epoch). */
  loadedAt: number | null;
}

export class ResourceLoader<T> {
  private snapshot: ResourceSnapshot<T> = { data: null, error: null, loading: false, loadedAt: null };
  private generation = 0;
  private listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ResourceSnapshot<T> => this.snapshot;

  /** Load from scratch: the data is cleared while it runs (a skeleton), then replaced or the error set. */
  load = (fetch: () => Promise<T>): Promise<void> => this.run(fetch, false);

  /** Load again with the data left on screen; a failure keeps it and sets the error. Skipped while a load
   * runs (a timer's refresh does not pile up behind a slow one). */
  refresh = (fetch: () => Promise<T>): Promise<void> => (this.snapshot.loading ? Promise.resolve() : this.run(fetch, true));

  /** A local change (the answer of a mutation); an answer already on its way is dropped so it cannot undo it. */
  update = (change: (data: T | null) => T | null): void => {
    this.generation += 1;
    this.set({ ...this.snapshot, data: change(this.snapshot.data), loading: false });
  };

  /** Back to nothing (no key): answers still on their way are dropped. */
  reset = (): void => {
    this.generation += 1;
    this.set({ data: null, error: null, loading: false, loadedAt: null });
  };

  private async run(fetch: () => Promise<T>, keep: boolean): Promise<void> {
    const generation = ++this.generation;
    const before = this.snapshot;
    this.set(keep ? { ...before, loading: true } : { data: null, error: null, loading: true, loadedAt: before.loadedAt });
    let next: ResourceSnapshot<T>;
    try {
      next = { data: await fetch(), error: null, loading: false, loadedAt: Date.now() };
    } catch (error) {
      const failed = error ?? new Error('The request failed.');
      next = { ...this.snapshot, data: keep ? this.snapshot.data : null, error: failed, loading: false };
    }
    if (generation === this.generation) this.set(next);
  }

  private set(snapshot: ResourceSnapshot<T>): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) listener();
  }
}

export interface Resource<T> extends ResourceSnapshot<T> {
  /** Load anew (Try again): the data is cleared while it runs. */
  reload: () => Promise<void>;
  /** Load again keeping the data on screen (a timer, a Refresh button). */
  refresh: () => Promise<void>;
  /** Change the data locally after a mutation. */
  update: (change: (data: T | null) => T | null) => void;
}

/**
 * Loads `fetch()` when the component mounts and whenever `key` changes (compared as JSON, e.g.
 * `[orgId, status]`); a null key loads nothing (say, no organisation chosen yet). `fetch` may be a new
 * function every render: the latest one is used.
 */
export function useResource<T>(key: readonly unknown[] | null, fetch: () => Promise<T>): Resource<T> {
  const [loader] = useState(() => new ResourceLoader<T>());
  const snapshot = useSyncExternalStore(loader.subscribe, loader.getSnapshot, loader.getSnapshot);
  const latest = useRef(fetch);
  useEffect(() => {
    latest.current = fetch;
  });
  const keyText = key === null ? null : JSON.stringify(key);
  useEffect(() => {
    if (keyText === null) loader.reset();
    else void loader.load(() => latest.current());
    // A key change (or unmount) makes any answer still on its way stale.
    return () => loader.reset();
  }, [keyText, loader]);
  const reload = useCallback(() => loader.load(() => latest.current()), [loader]);
  const refresh = useCallback(() => loader.refresh(() => latest.current()), [loader]);
  return { ...snapshot, reload, refresh, update: loader.update };
}
