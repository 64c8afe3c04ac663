import { useCallback, useMemo } from "react";
import { exportUrl, type Invoice, type InvoiceFilter, searchInvoices } from "../api";
import { ErrorNote } from "../components";
import { DayRangeFilter, SearchFilter, SupplierFilter } from "../filters";
import { ago } from "../format";
import { LiveMark, PagingFooter, pageSizeOf, useCursorPages } from "../paging";
import { Link, useTitle } from "../router";
import { useUrlFilters } from "../urlFilters";

/** The checks of an invoice, as badges: totals, supplier, duplicate. */
export function CheckBadges({ invoice }: { invoice: Invoice }) {
  const checks = invoice.checks;
  if (!checks) return <span className="muted small">not checked yet</span>;
  const totalsOk = checks.totals === "ok";
  return (
    <span className="checks">
      <span
        className={`badge ${totalsOk ? "badge-ok" : "badge-failed"}`}
        title={checks.totals}
        data-testid="check-totals"
        data-ok={totalsOk}
      >
        totals {totalsOk ? "ok" : "mismatch"}
      </span>{" "}
      <span className="badge badge-ok" title={`supplier ${checks.supplier}`} data-testid="check-supplier">
        supplier {checks.supplier}
      </span>{" "}
      <span
        className={`badge ${checks.duplicate ? "badge-failed" : "badge-ok"}`}
        data-testid="check-duplicate"
        data-ok={!checks.duplicate}
      >
        {checks.duplicate ? "duplicate" : "not a duplicate"}
      </span>
    </span>
  );
}

function filterOf(query: URLSearchParams): InvoiceFilter {
  const duplicates = query.get("duplicates");
  return {
    supplier: query.get("supplier") ?? undefined,
    container: query.get("container") ?? undefined,
    number: query.get("number") ?? undefined,
    from: query.get("from") ?? undefined,
    to: query.get("to") ?? undefined,
    duplicates: duplicates === "only" || duplicates === "exclude" ? duplicates : undefined,
  };
}

export function InvoicesPage() {
  useTitle("Invoices");
  const filters = useUrlFilters("/invoices");
  const { query, queryText, setQuery } = filters;
  const filter = useMemo(() => filterOf(new URLSearchParams(queryText)), [queryText]);
  const pageSize = pageSizeOf(query);
  const load = useCallback(
    async (cursor: string | undefined, signal: AbortSignal) => {
      const page = await searchInvoices({ ...filter, limit: pageSize, cursor }, signal);
      return { items: page.items, next: page.nextCursor };
    },
    [filter, pageSize],
  );
  const paging = useCursorPages(load);
  const { rows } = paging;

  return (
    <div className="page">
      <header className="page-header">
        <h1>Invoices</h1>
        <LiveMark pages={paging.pages} />
        <a
          className="button export"
          href={exportUrl(filter)}
          download="invoices.csv"
          data-testid="export-csv"
        >
          Export CSV
        </a>
      </header>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <SupplierFilter value={filter.supplier} onChange={(supplier) => setQuery({ supplier })} />
        <SearchFilter
          filters={filters}
          param="number"
          label="Number"
          placeholder="exact invoice number"
          testId="number-search"
          trim
        />
        <DayRangeFilter filters={filters} label="Dated" />
        <label>
          Duplicates{" "}
          <select
            data-testid="duplicates-filter"
            value={filter.duplicates ?? ""}
            onChange={(event) => setQuery({ duplicates: event.target.value })}
          >
            <option value="">included</option>
            <option value="exclude">excluded</option>
            <option value="only">only</option>
          </select>
        </label>
        {filter.container ? (
          <span className="chip">
            container <Link to={`/containers/${filter.container}`}>{filter.container}</Link>{" "}
            <button type="button" onClick={() => setQuery({ container: "" })} title="Remove this filter">
              ×
            </button>
          </span>
        ) : null}
      </form>
      <ErrorNote error={paging.error} />
      <table data-testid="invoices-table">
        <thead>
          <tr>
            <th>Number</th>
            <th>Type</th>
            <th>Date</th>
            <th>Supplier</th>
            <th className="number">Total</th>
            <th>File</th>
            <th>Checks</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((invoice) => (
            <tr key={invoice.id} data-testid="invoice-row" data-number={invoice.number}>
              <td>
                <Link to={`/invoices/${invoice.id}`}>{invoice.number}</Link>
              </td>
              <td>{invoice.type === "creditMemo" ? "credit memo" : "invoice"}</td>
              <td>{invoice.date ?? ""}</td>
              <td>{invoice.supplier}</td>
              <td className="number">
                {invoice.total} {invoice.currency ?? ""}
              </td>
              <td>
                <Link to={`/containers/${invoice.containerId}`}>{invoice.file}</Link>
                <span className="muted small"> #{invoice.key}</span>
              </td>
              <td>
                <CheckBadges invoice={invoice} />
              </td>
              <td title={invoice.createdAt}>{ago(invoice.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PagingFooter paging={paging} noun="invoice" />
    </div>
  );
}
