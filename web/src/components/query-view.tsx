import type { ReactNode } from "react";

/** What the states below read of a query: a useQuery or a useInfiniteQuery result. */
interface QueryState<T> {
  isPending: boolean;
  isError: boolean;
  data: T | undefined;
  error: Error | null;
}

interface EmptyState<T> {
  when: (data: T) => boolean;
  message: string;
}

interface QueryViewProps<T> {
  query: QueryState<T>;
  /** What the panel shows, lower case: "quotes", "bars". */
  what: string;
  /** When the data holds nothing to show, and the message that says why. */
  empty?: EmptyState<T>;
  children: (data: T) => ReactNode;
}

/**
 * The loading, error and empty states every panel shares. Data from an earlier poll stays on
 * screen when a later poll fails, with a note: a trader would rather see a stale price marked
 * stale than lose the board.
 */
export function QueryView<T>({ query, what, empty, children }: QueryViewProps<T>) {
  if (query.isPending) {
    return (
      <p className="state" role="status">
        Loading {what}…
      </p>
    );
  }
  const { data } = query;
  // not pending and no data: the first fetch failed (TanStack never stores undefined as data)
  if (data === undefined) {
    return (
      <p className="state state-error" role="alert">
        Cannot load {what}: {query.error?.message}
      </p>
    );
  }
  return (
    <>
      {query.isError && (
        <p className="state state-stale" role="alert">
          Showing the last {what} received: {query.error?.message}
        </p>
      )}
      {empty?.when(data) ? <p className="state">{empty.message}</p> : children(data)}
    </>
  );
}

/** The empty state of a list answer. */
export function emptyList(message: string): EmptyState<readonly unknown[]> {
  return { when: (data) => data.length === 0, message };
}
