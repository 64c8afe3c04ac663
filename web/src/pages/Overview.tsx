import { CONTAINER_STATES, type Container, type ContainerState, listContainers } from "../api";
import { Card, ErrorNote, StateBadge } from "../components";
import { ago, startOfToday } from "../format";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";

/** Counting is by listing: at most this many per state, shown as "500+" beyond. */
const COUNT_LIMIT = 500;

interface Overview {
  counts: Record<ContainerState, { count: number; more: boolean }>;
  today: { files: number; invoices: number; more: boolean };
  failed: Container[];
  at: Date;
}

async function loadOverview(signal: AbortSignal): Promise<Overview> {
  const [states, today] = await Promise.all([
    Promise.all(CONTAINER_STATES.map((state) => listContainers({ state, limit: COUNT_LIMIT }, signal))),
    listContainers({ from: startOfToday(), limit: COUNT_LIMIT }, signal),
  ]);
  const counts = Object.fromEntries(
    CONTAINER_STATES.map((state, index) => {
      const page = states[index]!;
      return [state, { count: page.items.length, more: page.nextCursor !== undefined }];
    }),
  ) as Overview["counts"];
  return {
    counts,
    today: {
      files: today.items.length,
      invoices: today.items.reduce((sum, container) => sum + container.invoiceCount, 0),
      more: today.nextCursor !== undefined,
    },
    failed: states[CONTAINER_STATES.indexOf("Error")]!.items.slice(0, 10),
    at: new Date(),
  };
}

const countText = (count: { count: number; more: boolean }) => `${count.count}${count.more ? "+" : ""}`;

export function OverviewPage() {
  useTitle("Overview");
  const { data, error } = usePoll(loadOverview, [], 3_000);
  return (
    <div className="page">
      <header className="page-header">
        <h1>Overview</h1>
        <span className="live" title="Refreshed every 3 seconds">
          {data ? `live · updated ${data.at.toLocaleTimeString()}` : "loading…"}
        </span>
      </header>
      <ErrorNote error={error} />
      <div className="tiles">
        {CONTAINER_STATES.map((state) => (
          <Link
            key={state}
            to={`/containers?state=${state}`}
            className={`tile tile-${state}`}
            testId={`count-${state}`}
          >
            <span className="tile-value">{data ? countText(data.counts[state]) : "–"}</span>
            <span className="tile-label">{state}</span>
          </Link>
        ))}
        <div className="tile tile-today" data-testid="files-today">
          <span className="tile-value">
            {data ? `${data.today.files}${data.today.more ? "+" : ""}` : "–"}
          </span>
          <span className="tile-label">files today</span>
        </div>
        <div className="tile tile-today" data-testid="invoices-today">
          <span className="tile-value">
            {data ? `${data.today.invoices}${data.today.more ? "+" : ""}` : "–"}
          </span>
          <span className="tile-label">invoices today</span>
        </div>
      </div>
      <Card title="Latest failed containers" testId="latest-failed">
        {data && data.failed.length === 0 ? <p className="muted">No container is in Error.</p> : null}
        {data && data.failed.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th>File</th>
                <th>Error</th>
                <th>Received</th>
              </tr>
            </thead>
            <tbody>
              {data.failed.map((container) => (
                <tr key={container.id}>
                  <td>
                    <Link to={`/containers/${container.id}`}>{container.name}</Link>{" "}
                    <StateBadge state={container.state} />
                  </td>
                  <td className="error-text">{container.error}</td>
                  <td title={container.receivedAt}>{ago(container.receivedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <p>
          <Link to="/containers">All containers, failed first →</Link>
        </p>
      </Card>
    </div>
  );
}
