import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  CONTAINER_SOURCES,
  CONTAINER_STATES,
  type Container,
  type ContainerFilter,
  type ContainerSource,
  type ContainerState,
  listContainers,
  listSuppliers,
} from "../api";
import { ErrorNote, StateBadge } from "../components";
import { ago, bytes } from "../format";
import { usePoll } from "../poll";
import { Link, navigate, useLocation, useTitle } from "../router";

/** What the table lists: failed first (Error, then Processing, New, Done), everything newest first, or one state. */
type View = "failedFirst" | "all" | ContainerState;

const FAILED_FIRST: ContainerState[] = ["Error", "Processing", "New", "Done"];
const DEFAULT_PAGE = 50;
const REFRESH_MILLIS = 5_000;

const stagesOf = (view: View): (ContainerState | undefined)[] =>
  view === "failedFirst" ? FAILED_FIRST : view === "all" ? [undefined] : [view];

/** Where the next page starts: a stage of the view (one listing each) and that listing's cursor. */
interface Position {
  stage: number;
  cursor?: string;
}

/** What the listing sends the server besides the state: the name, source, supplier, days received and an invoice number. */
type Filter = Omit<ContainerFilter, "state">;

/** A `YYYY-MM-DD` day (a date input's) as the ISO time of its local midnight; `next` the day after's. */
export function dayStart(day: string | undefined, next = false): string | undefined {
  const found = day ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  if (!found) return undefined;
  const date = new Date(Number(found[1]), Number(found[2]) - 1, Number(found[3]) + (next ? 1 : 0));
  return date.toISOString();
}

function filterOf(query: URLSearchParams): Filter {
  const source = CONTAINER_SOURCES.find((value) => value === query.get("source"));
  return {
    q: query.get("q") ?? undefined,
    source,
    supplier: query.get("supplier") || undefined,
    invoice: query.get("invoice") || undefined,
    // Received from the start of the first day to the end of the last (the server's `to` is exclusive).
    from: dayStart(query.get("from") ?? undefined),
    to: dayStart(query.get("to") ?? undefined, true),
  };
}

/** Up to `limit` containers from `position` on, across the view's listings, each paged by the server. */
async function loadPage(
  view: View,
  filter: Filter,
  position: Position,
  limit: number,
  signal: AbortSignal,
): Promise<{ items: Container[]; next?: Position }> {
  const stages = stagesOf(view);
  const items: Container[] = [];
  let at: Position | undefined = position;
  while (at && items.length < limit) {
    const page = await listContainers(
      { ...filter, state: stages[at.stage], limit: limit - items.length, cursor: at.cursor },
      signal,
    );
    items.push(...page.items);
    at = page.nextCursor
      ? { stage: at.stage, cursor: page.nextCursor }
      : at.stage + 1 < stages.length
        ? { stage: at.stage + 1 }
        : undefined;
  }
  return at ? { items, next: at } : { items };
}

function viewOf(value: string | null): View {
  if (value === "all") return "all";
  return CONTAINER_STATES.find((state) => state === value) ?? "failedFirst";
}

export function ContainersPage() {
  useTitle("Containers");
  const { query } = useLocation();
  const view = viewOf(query.get("state"));
  const q = query.get("q") ?? "";
  const invoice = query.get("invoice") ?? "";
  const queryText = query.toString();
  const filter = useMemo(() => filterOf(new URLSearchParams(queryText)), [queryText]);
  const suppliers = usePoll((signal) => listSuppliers(signal), [], 30_000);
  const pageSize = Math.min(500, Math.max(1, Number(query.get("limit")) || DEFAULT_PAGE));

  const [rows, setRows] = useState<Container[]>([]);
  const [next, setNext] = useState<Position>();
  const [pages, setPages] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error>();
  const [search, setSearch] = useState(q);
  const [invoiceSearch, setInvoiceSearch] = useState(invoice);
  const aborter = useRef<AbortController>(undefined);

  const setQuery = useCallback(
    (changes: Record<string, string>) => {
      const params = new URLSearchParams(queryText);
      for (const [key, value] of Object.entries(changes)) {
        if (value) params.set(key, value);
        else params.delete(key);
      }
      const text = params.toString();
      navigate(`/containers${text ? `?${text}` : ""}`, { replace: true });
    },
    [queryText],
  );

  /** The first page again (a new filter, or a refresh while only it is shown). */
  const reload = useCallback(
    async (quiet: boolean) => {
      aborter.current?.abort();
      const controller = new AbortController();
      aborter.current = controller;
      if (!quiet) setLoading(true);
      try {
        const page = await loadPage(view, filter, { stage: 0 }, pageSize, controller.signal);
        if (controller.signal.aborted) return;
        setRows(page.items);
        setNext(page.next);
        setPages(1);
        setError(undefined);
      } catch (caught) {
        if ((caught as Error).name !== "AbortError") setError(caught as Error);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    },
    [view, filter, pageSize],
  );

  useEffect(() => {
    void reload(false);
    return () => aborter.current?.abort();
  }, [reload]);

  // Live while only the first page is shown; once more is loaded, the list holds still.
  useEffect(() => {
    if (pages > 1) return;
    const timer = setInterval(() => void reload(true), REFRESH_MILLIS);
    return () => clearInterval(timer);
  }, [pages, reload]);

  // The search box updates the address (and so the listing) once typing pauses.
  useEffect(() => {
    if (search === q) return;
    const timer = setTimeout(() => setQuery({ q: search }), 300);
    return () => clearTimeout(timer);
  }, [search, q, setQuery]);

  useEffect(() => {
    if (invoiceSearch.trim() === invoice) return;
    const timer = setTimeout(() => setQuery({ invoice: invoiceSearch.trim() }), 300);
    return () => clearTimeout(timer);
  }, [invoiceSearch, invoice, setQuery]);

  const loadMore = async () => {
    if (!next) return;
    const controller = new AbortController();
    aborter.current = controller;
    setLoading(true);
    try {
      const page = await loadPage(view, filter, next, pageSize, controller.signal);
      if (controller.signal.aborted) return;
      setRows((shown) => [...shown, ...page.items]);
      setNext(page.next);
      setPages((n) => n + 1);
    } catch (caught) {
      if ((caught as Error).name !== "AbortError") setError(caught as Error);
    } finally {
      if (!controller.signal.aborted) setLoading(false);
    }
  };

  const supplierOptions = suppliers.data?.suppliers ?? [];
  return (
    <div className="page">
      <header className="page-header">
        <h1>Containers</h1>
        <span className="live">{pages > 1 ? "paused while paging" : "live"}</span>
      </header>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          State{" "}
          <select
            data-testid="state-filter"
            value={view}
            onChange={(event) =>
              setQuery({ state: event.target.value === "failedFirst" ? "" : event.target.value })
            }
          >
            <option value="failedFirst">Failed first</option>
            <option value="all">All, newest first</option>
            {CONTAINER_STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        <label>
          File name{" "}
          <input
            type="search"
            data-testid="name-search"
            placeholder="part of the name"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </label>
        <label>
          Invoice number{" "}
          <input
            type="search"
            data-testid="invoice-search"
            placeholder="exact number"
            value={invoiceSearch}
            onChange={(event) => setInvoiceSearch(event.target.value)}
          />
        </label>
        <label>
          Source{" "}
          <select
            data-testid="source-filter"
            value={filter.source ?? ""}
            onChange={(event) => setQuery({ source: event.target.value })}
          >
            <option value="">All sources</option>
            {CONTAINER_SOURCES.map((source: ContainerSource) => (
              <option key={source} value={source}>
                {source}
              </option>
            ))}
          </select>
        </label>
        <label>
          Supplier{" "}
          <select
            data-testid="supplier-filter"
            value={filter.supplier ?? ""}
            onChange={(event) => setQuery({ supplier: event.target.value })}
          >
            <option value="">All suppliers</option>
            {supplierOptions.map((supplier) => (
              <option key={supplier.id} value={supplier.id}>
                {supplier.name}
              </option>
            ))}
            {filter.supplier && !supplierOptions.some((s) => s.id === filter.supplier) ? (
              <option value={filter.supplier}>{filter.supplier}</option>
            ) : null}
          </select>
        </label>
        <label>
          Received from{" "}
          <input
            type="date"
            data-testid="from-filter"
            value={query.get("from") ?? ""}
            onChange={(event) => setQuery({ from: event.target.value })}
          />
        </label>
        <label>
          to{" "}
          <input
            type="date"
            data-testid="to-filter"
            value={query.get("to") ?? ""}
            onChange={(event) => setQuery({ to: event.target.value })}
          />
        </label>
      </form>
      <ErrorNote error={error} />
      <table className="containers" data-testid="containers-table">
        <thead>
          <tr>
            <th>File</th>
            <th>State</th>
            <th>Invoices</th>
            <th>Size</th>
            <th>Source</th>
            <th>Received</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((container) => (
            <tr key={container.id} data-testid="container-row" data-state={container.state}>
              <td>
                <Link to={`/containers/${container.id}`}>{container.name}</Link>
              </td>
              <td>
                <StateBadge state={container.state} />
              </td>
              <td className="number">
                {container.invoiceCount}
                {container.parsedCount !== null && container.parsedCount !== container.invoiceCount
                  ? ` / ${container.parsedCount}`
                  : ""}
              </td>
              <td className="number">{bytes(container.size)}</td>
              <td>{container.source}</td>
              <td title={container.receivedAt}>{ago(container.receivedAt)}</td>
              <td className="error-text">{container.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && !loading ? <p className="muted">No container matches.</p> : null}
      <p className="paging">
        {rows.length} shown{" "}
        {next ? (
          <button type="button" onClick={() => void loadMore()} disabled={loading} data-testid="load-more">
            {loading ? "Loading…" : "Load more"}
          </button>
        ) : rows.length > 0 ? (
          <span className="muted">· all loaded</span>
        ) : null}
      </p>
    </div>
  );
}
