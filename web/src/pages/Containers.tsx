import { useCallback, useMemo } from "react";
import {
  CONTAINER_SOURCES,
  CONTAINER_STATES,
  type Container,
  type ContainerFilter,
  type ContainerSource,
  type ContainerState,
  listContainers,
} from "../api";
import { ErrorNote, StateBadge } from "../components";
import { DayRangeFilter, SearchFilter, SupplierFilter } from "../filters";
import { ago, bytes } from "../format";
import { LiveMark, PagingFooter, pageSizeOf, useCursorPages } from "../paging";
import { Link, useTitle } from "../router";
import { useUrlFilters } from "../urlFilters";

/** What the table lists: failed first (Error, then Processing, New, Done), everything newest first, or one state. */
type View = "failedFirst" | "all" | ContainerState;

const FAILED_FIRST: ContainerState[] = ["Error", "Processing", "New", "Done"];

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
  const filters = useUrlFilters("/containers");
  const { query, queryText, setQuery } = filters;
  const view = viewOf(query.get("state"));
  const filter = useMemo(() => filterOf(new URLSearchParams(queryText)), [queryText]);
  const pageSize = pageSizeOf(query);
  const load = useCallback(
    (from: Position | undefined, signal: AbortSignal) =>
      loadPage(view, filter, from ?? { stage: 0 }, pageSize, signal),
    [view, filter, pageSize],
  );
  const paging = useCursorPages(load);
  const { rows } = paging;

  return (
    <div className="page">
      <header className="page-header">
        <h1>Containers</h1>
        <LiveMark pages={paging.pages} />
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
        <SearchFilter
          filters={filters}
          param="q"
          label="File name"
          placeholder="part of the name"
          testId="name-search"
        />
        <SearchFilter
          filters={filters}
          param="invoice"
          label="Invoice number"
          placeholder="exact number"
          testId="invoice-search"
          trim
        />
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
        <SupplierFilter value={filter.supplier} onChange={(supplier) => setQuery({ supplier })} />
        <DayRangeFilter filters={filters} label="Received" />
      </form>
      <ErrorNote error={paging.error} />
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
      <PagingFooter paging={paging} noun="container" />
    </div>
  );
}
