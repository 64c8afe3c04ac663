import { ContainerPage } from "./pages/Container";
import { ContainersPage } from "./pages/Containers";
import { ExecutionsPage } from "./pages/Executions";
import { InvoicePage } from "./pages/Invoice";
import { InvoicesPage } from "./pages/Invoices";
import { OverviewPage } from "./pages/Overview";
import { QueuesPage } from "./pages/Queues";
import { SourcesPage } from "./pages/Sources";
import { Link, match, useLocation } from "./router";

function Page({ path }: { path: string }) {
  if (path === "/" || path === "") return <OverviewPage />;
  if (match("/containers", path)) return <ContainersPage />;
  const container = match("/containers/:id", path);
  if (container) return <ContainerPage key={container.id} id={container.id!} />;
  if (match("/invoices", path)) return <InvoicesPage />;
  const invoice = match("/invoices/:id", path);
  if (invoice) return <InvoicePage key={invoice.id} id={invoice.id!} />;
  if (match("/executions", path)) return <ExecutionsPage />;
  if (match("/queues", path)) return <QueuesPage />;
  if (match("/sources", path)) return <SourcesPage />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/">Back to the overview</Link>.
      </p>
    </div>
  );
}

const SECTIONS = [
  { to: "/", label: "Overview", section: "overview" },
  { to: "/containers", label: "Containers", section: "containers" },
  { to: "/invoices", label: "Invoices", section: "invoices" },
  { to: "/executions", label: "Executions", section: "executions" },
  { to: "/queues", label: "Queues", section: "queues" },
  { to: "/sources", label: "Sources", section: "sources" },
] as const;

export function App() {
  const { path } = useLocation();
  const section = path === "/" ? "overview" : (path.split("/")[1] ?? "");
  return (
    <div className="app">
      <nav className="nav">
        <Link to="/" className="brand">
          Inflow
        </Link>
        {SECTIONS.map((item) => (
          <Link key={item.to} to={item.to} className={section === item.section ? "active" : ""}>
            {item.label}
          </Link>
        ))}
      </nav>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}
