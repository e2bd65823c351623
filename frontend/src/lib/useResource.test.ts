// @vitest-environment happy-dom
// The loader's states and its rule that a stale answer never overwrites a newer one; then the hook in a
// rendered component: it loads on mount, again when its key changes, and not at all without a key.
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceLoader, useResource, type Resource } from './useResource';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A promise the test settles when it wants. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ResourceLoader', () => {
  it('loads: loading, then data; a failure clears the data and keeps the error', async () => {
    const loader = new ResourceLoader<number[]>();
    const d = deferred<number[]>();
    const done = loader.load(() => d.promise);
    expect(loader.getSnapshot()).toMatchObject({ data: null, error: null, loading: true, loadedAt: null });
    d.resolve([1, 2]);
    await done;
    expect(loader.getSnapshot()).toMatchObject({ data: [1, 2], error: null, loading: false });
    expect(loader.getSnapshot().loadedAt).toBeTypeOf('number');
    const boom = new Error('boom');
    await loader.load(() => Promise.reject(boom));
    expect(loader.getSnapshot()).toMatchObject({ data: null, error: boom, loading: false });
  });

  it('refresh keeps the data on screen, also when it fails, and is skipped while a load runs', async () => {
    const loader = new ResourceLoader<string>();
    await loader.load(async () => 'v1');
    const slow = deferred<string>();
    const refreshing = loader.refresh(() => slow.promise);
    expect(loader.getSnapshot()).toMatchObject({ data: 'v1', loading: true });
    let calls = 0;
    await loader.refresh(async () => {
      calls += 1;
      return 'never';
    });
    expect(calls).toBe(0);
    slow.reject(new Error('offline'));
    await refreshing;
    expect(loader.getSnapshot()).toMatchObject({ data: 'v1', loading: false });
    expect((loader.getSnapshot().error as Error).message).toBe('offline');
    await loader.refresh(async () => 'v2');
    expect(loader.getSnapshot()).toMatchObject({ data: 'v2', error: null });
  });

  it('drops an answer that arrives after a newer load', async () => {
    const loader = new ResourceLoader<string>();
    const first = deferred<string>();
    const second = deferred<string>();
    const a = loader.load(() => first.promise);
    const b = loader.load(() => second.promise);
    second.resolve('new');
    await b;
    first.resolve('old');
    await a;
    expect(loader.getSnapshot().data).toBe('new');
  });

  it('a local update wins over a refresh already on its way, and reset drops everything', async () => {
    const loader = new ResourceLoader<string[]>();
    await loader.load(async () => ['a']);
    const slow = deferred<string[]>();
    const refreshing = loader.refresh(() => slow.promise);
    loader.update((rows) => [...(rows ?? []), 'b']);
    slow.resolve(['stale']);
    await refreshing;
    expect(loader.getSnapshot()).toMatchObject({ data: ['a', 'b'], loading: false });
    const late = deferred<string[]>();
    const loading = loader.load(() => late.promise);
    loader.reset();
    late.resolve(['late']);
    await loading;
    expect(loader.getSnapshot()).toEqual({ data: null, error: null, loading: false, loadedAt: null });
  });

  it('tells subscribers about every change', async () => {
    const loader = new ResourceLoader<number>();
    let seen = 0;
    const unsubscribe = loader.subscribe(() => (seen += 1));
    await loader.load(async () => 1);
    expect(seen).toBe(2); // loading, loaded
    unsubscribe();
    await loader.load(async () => 2);
    expect(seen).toBe(2);
  });
});

describe('useResource', () => {
  let root: Root | null = null;
  afterEach(() => {
    act(() => root?.unmount());
    root = null;
  });

  /** Renders a component using the hook with `key`; returns what it last saw and the loads it asked for. */
  function mount(key: readonly unknown[] | null) {
    const calls: unknown[] = [];
    const pending: ReturnType<typeof deferred<string>>[] = [];
    const seen: { current: Resource<string> | null } = { current: null };
    function Probe({ k }: { k: readonly unknown[] | null }) {
      seen.current = useResource(k, () => {
        calls.push(k);
        const d = deferred<string>();
        pending.push(d);
        return d.promise;
      });
      return null;
    }
    root = createRoot(document.createElement('div'));
    act(() => root!.render(createElement(Probe, { k: key })));
    const rerender = (k: readonly unknown[] | null) => act(() => root!.render(createElement(Probe, { k })));
    return { calls, pending, seen, rerender };
  }

  it('loads on mount and shows the answer', async () => {
    const { calls, pending, seen } = mount([1]);
    expect(calls).toEqual([[1]]);
    expect(seen.current).toMatchObject({ data: null, loading: true });
    await act(async () => pending[0].resolve('one'));
    expect(seen.current).toMatchObject({ data: 'one', loading: false, error: null });
  });

  it('loads again when the key changes, dropping the old answer; not when it is equal', async () => {
    const { calls, pending, seen, rerender } = mount([1, 'a']);
    rerender([1, 'a']);
    expect(calls).toHaveLength(1);
    rerender([2, 'a']);
    expect(calls).toEqual([[1, 'a'], [2, 'a']]);
    await act(async () => pending[0].resolve('for 1'));
    expect(seen.current?.data).toBeNull();
    await act(async () => pending[1].resolve('for 2'));
    expect(seen.current?.data).toBe('for 2');
  });

  it('loads nothing without a key, and reload retries after a failure', async () => {
    const { calls, pending, seen, rerender } = mount(null);
    expect(calls).toEqual([]);
    expect(seen.current).toMatchObject({ data: null, loading: false });
    rerender([3]);
    await act(async () => pending[0].reject(new Error('503')));
    expect(seen.current).toMatchObject({ data: null, loading: false });
    expect((seen.current?.error as Error).message).toBe('503');
    await act(async () => {
      void seen.current!.reload();
    });
    expect(calls).toHaveLength(2);
    await act(async () => pending[1].resolve('back'));
    expect(seen.current).toMatchObject({ data: 'back', error: null });
  });
});
