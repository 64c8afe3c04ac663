import { ContainerPage } from "./pages/Container";
import { ContainersPage } from "./pages/Containers";
import { OverviewPage } from "./pages/Overview";
import { Link, match, useLocation } from "./router";

function Page({ path }: { path: string }) {
  if (path === "/" || path === "") return <OverviewPage />;
  if (match("/containers", path)) return <ContainersPage />;
  const container = match("/containers/:id", path);
  if (container) return <ContainerPage key={container.id} id={container.id!} />;
  return (
    <div className="page">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/">Back to the overview</Link>.
      </p>
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const section = path.startsWith("/containers") ? "containers" : path === "/" ? "overview" : "";
  return (
    <div className="app">
      <nav className="nav">
        <Link to="/" className="brand">
          Inflow
        </Link>
        <Link to="/" className={section === "overview" ? "active" : ""}>
          Overview
        </Link>
        <Link to="/containers" className={section === "containers" ? "active" : ""}>
          Containers
        </Link>
      </nav>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}
