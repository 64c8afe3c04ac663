import { useCallback, useEffect, useRef, useState } from "react";

/** How often the first page is loaded again while it is the only one shown. */
const REFRESH_MILLIS = 5_000;

/** Rows a page: `?limit=N` (1 to 500), else 50. */
export const pageSizeOf = (query: URLSearchParams): number =>
  Math.min(500, Math.max(1, Number(query.get("limit")) || 50));

/** A page of rows, and where the next starts (none: the last). */
export interface Paged<T, C> {
  items: T[];
  next?: C | undefined;
}

export interface CursorPages<T> {
  rows: T[];
  /** Whether there is more to load. */
  more: boolean;
  /** Pages shown: past the first, the list holds still. */
  pages: number;
  loading: boolean;
  error: Error | undefined;
  loadMore: () => Promise<void>;
}

/**
 * Rows loaded a page at a time at the server's cursor, "Load more" appending the next. `load`
 * (memoized: a new one, for new filters, starts over from the first page) reads the page from a
 * cursor (undefined: the first). The first page is loaded again every 5 seconds while it is the
 * only one shown; once more are loaded, the list holds still.
 */
export function useCursorPages<T, C>(
  load: (from: C | undefined, signal: AbortSignal) => Promise<Paged<T, C>>,
): CursorPages<T> {
  const [rows, setRows] = useState<T[]>([]);
  const [next, setNext] = useState<C>();
  const [pages, setPages] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error>();
  const aborter = useRef<AbortController>(undefined);

  /** Loads a page: the first (`from` undefined) replacing the rows, or the next appended. */
  const fetchPage = useCallback(
    async (from: C | undefined, options: { quiet?: boolean } = {}) => {
      const first = from === undefined;
      if (first) aborter.current?.abort();
      const controller = new AbortController();
      aborter.current = controller;
      if (!options.quiet) setLoading(true);
      try {
        const page = await load(from, controller.signal);
        if (controller.signal.aborted) return;
        setRows((shown) => (first ? page.items : [...shown, ...page.items]));
        setNext(page.next);
        setPages((n) => (first ? 1 : n + 1));
        if (first) setError(undefined);
      } catch (caught) {
        if ((caught as Error).name !== "AbortError") setError(caught as Error);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    },
    [load],
  );

  useEffect(() => {
    void fetchPage(undefined);
    return () => aborter.current?.abort();
  }, [fetchPage]);

  // Live while only the first page is shown.
  useEffect(() => {
    if (pages > 1) return;
    const timer = setInterval(() => void fetchPage(undefined, { quiet: true }), REFRESH_MILLIS);
    return () => clearInterval(timer);
  }, [pages, fetchPage]);

  const loadMore = async () => {
    if (next !== undefined) await fetchPage(next);
  };
  return { rows, more: next !== undefined, pages, loading, error, loadMore };
}

/** "live", or "paused while paging" once more than the first page is shown. */
export function LiveMark({ pages }: { pages: number }) {
  return <span className="live">{pages > 1 ? "paused while paging" : "live"}</span>;
}

/** Under a paged table: how many rows are shown, and "Load more" while there are more. */
export function PagingFooter({ paging, noun }: { paging: CursorPages<unknown>; noun: string }) {
  const { rows, more, loading, loadMore } = paging;
  return (
    <>
      {rows.length === 0 && !loading ? <p className="muted">No {noun} matches.</p> : null}
      <p className="paging">
        {rows.length} shown{" "}
        {more ? (
          <button type="button" onClick={() => void loadMore()} disabled={loading} data-testid="load-more">
            {loading ? "Loading…" : "Load more"}
          </button>
        ) : rows.length > 0 ? (
          <span className="muted">· all loaded</span>
        ) : null}
      </p>
    </>
  );
}
