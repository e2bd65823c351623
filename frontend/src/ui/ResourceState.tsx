// The states of what a page loaded (src/lib/useResource.ts) before its content: loading (a skeleton),
// failed with nothing to show (what went wrong and Try again), loaded but empty (what the page is for and
// what to do first). With data to show, it renders `children(data)`; a failed background refresh keeps
// the data on screen (the page says so where it shows when it last updated).
import type { ReactNode } from 'react';
import { errorMessage } from '../api/client';
import type { Resource } from '../lib/useResource';
import { EmptyState, Skeleton } from './bits';

export interface EmptyProps {
  title: string;
  body?: string;
  action?: ReactNode;
  testid?: string;
}

export function ResourceState<T>({
  resource,
  what,
  testid,
  rows = 4,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  describe = (e) => errorMessage(e),
  children,
}: {
  resource: Pick<Resource<T>, 'data' | 'error' | 'reload'>;
  /** What the page lists, for "Could not load <what>". */
  what: string;
  /** `<testid>-loading` and `<testid>-error`. */
  testid: string;
  rows?: number;
  /** Shown when `isEmpty(data)` (by default: an empty list). */
  empty?: EmptyProps;
  isEmpty?: (data: T) => boolean;
  /** The error's sentence (by default the API's detail, field messages and hint). */
  describe?: (error: unknown) => string;
  children: (data: T) => ReactNode;
}) {
  const { data, error, reload } = resource;
  if (data === null && error !== null) {
    return (
      <EmptyState
        title={`Could not load ${what}`}
        body={describe(error)}
        action={<button onClick={() => void reload()}>Try again</button>}
        testid={`${testid}-error`}
      />
    );
  }
  if (data === null) return <Skeleton rows={rows} testid={`${testid}-loading`} />;
  if (empty && isEmpty(data)) return <EmptyState title={empty.title} body={empty.body} action={empty.action} testid={empty.testid} />;
  return <>{children(data)}</>;
}
