import { getInvoice, type InvoiceDetail } from "../api";
import { Card, ErrorNote } from "../components";
import { time } from "../format";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";
import { CheckBadges } from "./Invoices";

function Facts({ invoice }: { invoice: InvoiceDetail }) {
  const normalized = invoice.invoice;
  const totals = normalized.totals;
  return (
    <dl className="facts" data-testid="invoice-facts">
      <dt>Number</dt>
      <dd data-testid="invoice-number">{invoice.number}</dd>
      <dt>Type</dt>
      <dd>{invoice.type === "creditMemo" ? "credit memo" : "invoice"}</dd>
      <dt>Date</dt>
      <dd>{invoice.date ?? <span className="muted">none</span>}</dd>
      <dt>Supplier</dt>
      <dd>
        <Link to={`/invoices?supplier=${encodeURIComponent(invoice.supplierId)}`}>{invoice.supplier}</Link>
      </dd>
      {normalized.purchaseOrder ? (
        <>
          <dt>Purchase order</dt>
          <dd>
            {normalized.purchaseOrder.number}
            {normalized.purchaseOrder.date ? ` of ${normalized.purchaseOrder.date}` : ""}
          </dd>
        </>
      ) : null}
      <dt>Total</dt>
      <dd data-testid="invoice-total">
        <strong>
          {invoice.total} {invoice.currency ?? ""}
        </strong>
        {invoice.currency ? "" : <span className="muted small"> (currency not stated)</span>}
      </dd>
      {totals ? (
        <>
          <dt>Totals</dt>
          <dd className="small">
            {[
              totals.stated !== undefined ? `stated ${totals.stated}` : "no stated total",
              totals.lines !== undefined ? `lines ${totals.lines}` : "",
              totals.charges !== undefined && totals.charges !== "0" ? `charges ${totals.charges}` : "",
              totals.allowances !== undefined && totals.allowances !== "0"
                ? `allowances ${totals.allowances}`
                : "",
              totals.tax !== undefined ? `tax ${totals.tax}` : "",
            ]
              .filter(Boolean)
              .join(" · ")}
          </dd>
        </>
      ) : null}
      <dt>Checks</dt>
      <dd data-testid="invoice-checks">
        <CheckBadges invoice={invoice} />
        {invoice.checks && invoice.checks.totals !== "ok" ? (
          <div className="error-text small">{invoice.checks.totals}</div>
        ) : null}
      </dd>
      {invoice.duplicateOf ? (
        <>
          <dt>Duplicate of</dt>
          <dd>
            <Link to={`/invoices/${invoice.duplicateOf}`} testId="duplicate-of">
              {invoice.duplicateOf}
            </Link>
          </dd>
        </>
      ) : null}
      <dt>From</dt>
      <dd>
        <Link to={`/containers/${invoice.containerId}`} testId="container-link">
          {invoice.file}
        </Link>{" "}
        <span className="muted">invoice {invoice.key} of the file</span>
      </dd>
      <dt>Created</dt>
      <dd>{time(invoice.createdAt)}</dd>
      <dt>Id</dt>
      <dd className="mono small">{invoice.id}</dd>
    </dl>
  );
}

function Lines({ invoice }: { invoice: InvoiceDetail }) {
  const lines = invoice.invoice.lines ?? [];
  if (lines.length === 0) return <p className="muted">No line.</p>;
  return (
    <table data-testid="lines-table">
      <thead>
        <tr>
          <th>#</th>
          <th>Item</th>
          <th>Description</th>
          <th className="number">Quantity</th>
          <th>Unit</th>
          <th className="number">Unit price</th>
          <th className="number">Amount</th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines have no id; their order is the document's
          <tr key={index} data-testid="line-row">
            <td className="number">{line.lineNumber || index + 1}</td>
            <td className="small">
              {(line.itemIds ?? []).slice(0, 2).map((id) => (
                <div key={`${id.kind}:${id.value}`}>
                  <span className="muted">{id.kind}</span> {id.value}
                </div>
              ))}
            </td>
            <td>{line.description ?? ""}</td>
            <td className="number">{line.quantity ?? ""}</td>
            <td>{line.unit ?? ""}</td>
            <td className="number">{line.unitPrice ?? ""}</td>
            <td className="number">{line.amount ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InvoicePage({ id }: { id: string }) {
  const { data, error } = usePoll((signal) => getInvoice(id, signal), [id], 10_000);
  useTitle(data ? `Invoice ${data.number}` : "Invoice");
  return (
    <div className="page">
      <header className="page-header">
        <h1>
          {data ? `${data.type === "creditMemo" ? "Credit memo" : "Invoice"} ${data.number}` : "Invoice"}
        </h1>
        {data ? <span className="muted">{data.supplier}</span> : null}
        <a
          className="button"
          href={`/v1/invoices/${encodeURIComponent(id)}`}
          target="_blank"
          rel="noreferrer"
        >
          JSON
        </a>
      </header>
      <ErrorNote error={error} />
      {data ? (
        <>
          <Card title="Invoice" testId="invoice">
            <Facts invoice={data} />
          </Card>
          <Card title={`Lines (${data.invoice.lines?.length ?? 0})`} testId="lines">
            <Lines invoice={data} />
          </Card>
        </>
      ) : null}
      <p>
        <Link to="/invoices">All invoices →</Link>
      </p>
    </div>
  );
}
