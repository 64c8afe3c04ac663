import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { exportUrl, type Invoice, type InvoiceFilter, listSuppliers, searchInvoices } from "../api";
import { ErrorNote } from "../components";
import { ago } from "../format";
import { usePoll } from "../poll";
import { Link, navigate, useLocation, useTitle } from "../router";

const DEFAULT_PAGE = 50;
const REFRESH_MILLIS = 5_000;

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
  const { query } = useLocation();
  const queryText = query.toString();
  const filter = useMemo(() => filterOf(new URLSearchParams(queryText)), [queryText]);
  const pageSize = Math.min(500, Math.max(1, Number(query.get("limit")) || DEFAULT_PAGE));
  const suppliers = usePoll((signal) => listSuppliers(signal), [], 30_000);

  const [rows, setRows] = useState<Invoice[]>([]);
  const [next, setNext] = useState<string>();
  const [pages, setPages] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error>();
  const [number, setNumber] = useState(filter.number ?? "");
  const aborter = useRef<AbortController>(undefined);

  const setQuery = useCallback(
    (changes: Record<string, string>) => {
      const params = new URLSearchParams(queryText);
      for (const [key, value] of Object.entries(changes)) {
        if (value) params.set(key, value);
        else params.delete(key);
      }
      const text = params.toString();
      navigate(`/invoices${text ? `?${text}` : ""}`, { replace: true });
    },
    [queryText],
  );

  const reload = useCallback(
    async (quiet: boolean) => {
      aborter.current?.abort();
      const controller = new AbortController();
      aborter.current = controller;
      if (!quiet) setLoading(true);
      try {
        const page = await searchInvoices({ ...filter, limit: pageSize }, controller.signal);
        if (controller.signal.aborted) return;
        setRows(page.items);
        setNext(page.nextCursor);
        setPages(1);
        setError(undefined);
      } catch (caught) {
        if ((caught as Error).name !== "AbortError") setError(caught as Error);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
    },
    [filter, pageSize],
  );

  useEffect(() => {
    void reload(false);
    return () => aborter.current?.abort();
  }, [reload]);

  useEffect(() => {
    if (pages > 1) return;
    const timer = setInterval(() => void reload(true), REFRESH_MILLIS);
    return () => clearInterval(timer);
  }, [pages, reload]);

  // The number box updates the address once typing pauses.
  useEffect(() => {
    if (number === (filter.number ?? "")) return;
    const timer = setTimeout(() => setQuery({ number: number.trim() }), 300);
    return () => clearTimeout(timer);
  }, [number, filter.number, setQuery]);

  const loadMore = async () => {
    if (!next) return;
    const controller = new AbortController();
    aborter.current = controller;
    setLoading(true);
    try {
      const page = await searchInvoices({ ...filter, limit: pageSize, cursor: next }, controller.signal);
      if (controller.signal.aborted) return;
      setRows((shown) => [...shown, ...page.items]);
      setNext(page.nextCursor);
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
        <h1>Invoices</h1>
        <span className="live">{pages > 1 ? "paused while paging" : "live"}</span>
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
          Number{" "}
          <input
            type="search"
            data-testid="number-search"
            placeholder="exact invoice number"
            value={number}
            onChange={(event) => setNumber(event.target.value)}
          />
        </label>
        <label>
          Dated from{" "}
          <input
            type="date"
            data-testid="from-filter"
            value={filter.from ?? ""}
            onChange={(event) => setQuery({ from: event.target.value })}
          />
        </label>
        <label>
          to{" "}
          <input
            type="date"
            data-testid="to-filter"
            value={filter.to ?? ""}
            onChange={(event) => setQuery({ to: event.target.value })}
          />
        </label>
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
      <ErrorNote error={error} />
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
      {rows.length === 0 && !loading ? <p className="muted">No invoice matches.</p> : null}
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
