import {
  ApiError,
  CONTAINER_STATES,
  type Container,
  getOverview,
  listContainers,
  listQueues,
  type Overview,
  type QueueInfo,
} from "../api";
import { Card, ErrorNote, StateBadge } from "../components";
import { ago, startOfToday } from "../format";
import { usePoll } from "../poll";
import { Link, useTitle } from "../router";
import { isDeadLetterQueue } from "./Queues";

const HOURS = 24;

interface Loaded {
  overview: Overview;
  failed: Container[];
  at: Date;
}

async function loadOverview(signal: AbortSignal): Promise<Loaded> {
  const [overview, failed] = await Promise.all([
    getOverview({ since: startOfToday(), hours: HOURS }, signal),
    listContainers({ state: "Error", limit: 10 }, signal),
  ]);
  return { overview, failed: failed.items, at: new Date() };
}

/** Files and invoices per hour, oldest first, as pairs of bars: a small inline SVG, no chart library. */
export function ThroughputChart({ hourly }: { hourly: Overview["hourly"] }) {
  const width = 720;
  const height = 140;
  const bottom = 18;
  const top = 8;
  const slot = width / Math.max(1, hourly.length);
  const bar = Math.max(2, (slot - 4) / 2);
  const max = Math.max(1, ...hourly.map((h) => Math.max(h.files, h.invoices)));
  const scale = (n: number) => ((height - bottom - top) * n) / max;
  const totalFiles = hourly.reduce((sum, h) => sum + h.files, 0);
  const totalInvoices = hourly.reduce((sum, h) => sum + h.invoices, 0);
  return (
    <figure className="chart" data-testid="throughput">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${totalFiles} files and ${totalInvoices} invoices in the last ${hourly.length} hours`}
      >
        <line x1={0} x2={width} y1={height - bottom} y2={height - bottom} className="chart-axis" />
        <text x={0} y={top + 2} className="chart-label" dominantBaseline="hanging">
          {max}
        </text>
        {hourly.map((h, index) => {
          const x = index * slot + 2;
          const hour = new Date(h.hour);
          const label = `${hour.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${h.files} files, ${h.invoices} invoices`;
          return (
            <g key={h.hour}>
              <title>{label}</title>
              <rect
                x={x}
                y={height - bottom - scale(h.files)}
                width={bar}
                height={scale(h.files)}
                className="bar-files"
              />
              <rect
                x={x + bar}
                y={height - bottom - scale(h.invoices)}
                width={bar}
                height={scale(h.invoices)}
                className="bar-invoices"
              />
              {index % 3 === 0 || index === hourly.length - 1 ? (
                <text x={x + bar} y={height - 4} textAnchor="middle" className="chart-label">
                  {hour.getHours()}h
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        <span>
          <span className="swatch bar-files-swatch" /> files ({totalFiles})
        </span>
        <span>
          <span className="swatch bar-invoices-swatch" /> invoices ({totalInvoices})
        </span>
      </figcaption>
    </figure>
  );
}

function SourcesHealth({ sources }: { sources: Overview["sources"] }) {
  if (sources.length === 0) {
    return (
      <p className="muted">
        No source yet: files come only through the API. <Link to="/sources">Sources →</Link>
      </p>
    );
  }
  return (
    <>
      <table>
        <thead>
          <tr>
            <th>Source</th>
            <th>Kind</th>
            <th>Last poll</th>
            <th>Files taken</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((source) => (
            <tr key={source.name} data-testid="health-row" data-source={source.name}>
              <td>
                <Link to={`/sources#${encodeURIComponent(source.name)}`}>{source.name}</Link>
                {source.enabled ? "" : <span className="badge"> disabled</span>}
              </td>
              <td>{source.kind}</td>
              <td title={source.lastPollAt}>
                {source.lastPollAt ? ago(source.lastPollAt) : <span className="muted">never</span>}
              </td>
              <td className="number">{source.filesTaken}</td>
              <td className="error-text" data-testid="health-error">
                {source.lastError ?? ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <Link to="/sources">All sources, poll now →</Link>
      </p>
    </>
  );
}

/** The dead-letter queues, or null when the caller may not see queues (a tenant's key: 401 or 403). */
async function loadDeadLetterQueues(signal: AbortSignal): Promise<QueueInfo[] | null> {
  try {
    return (await listQueues(signal)).queues.filter(isDeadLetterQueue);
  } catch (caught) {
    if (caught instanceof ApiError && (caught.status === 401 || caught.status === 403)) return null;
    throw caught;
  }
}

function DeadLetterQueues() {
  const { data, error } = usePoll(loadDeadLetterQueues, [], 3_000);
  if (data === null) return null;
  const full = (data ?? []).filter((queue) => queue.visible > 0);
  return (
    <Card title="Dead-letter queues" testId="dlq-panel">
      <ErrorNote error={error} />
      {data === undefined ? <p className="muted">loading…</p> : null}
      {data && full.length === 0 ? (
        <p className="muted" data-testid="dlq-empty">
          No message in a dead-letter queue
          {data.length > 0 ? ` (${data.length} dead-letter queue${data.length === 1 ? "" : "s"})` : ""}.
        </p>
      ) : null}
      {full.length > 0 ? (
        <ul className="dlq-list">
          {full.map((queue) => (
            <li key={queue.name} data-testid="dlq-row" data-queue={queue.name}>
              <span>
                <Link to="/queues">{queue.name}</Link>{" "}
                <span className="muted small">fed by {queue.deadLetterSourceQueues?.join(", ")}</span>
              </span>
              <strong className="error-text" data-testid="dlq-depth">
                {queue.visible} message{queue.visible === 1 ? "" : "s"}
              </strong>
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <Link to="/queues">All queues, peek and redrive →</Link>
      </p>
    </Card>
  );
}

export function OverviewPage() {
  useTitle("Overview");
  const { data, error } = usePoll(loadOverview, [], 3_000);
  const overview = data?.overview;
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
            <span className="tile-value">{overview ? (overview.containers[state] ?? 0) : "–"}</span>
            <span className="tile-label">{state}</span>
          </Link>
        ))}
        <div className="tile tile-today" data-testid="files-today">
          <span className="tile-value">{overview ? overview.today.files : "–"}</span>
          <span className="tile-label">files today</span>
        </div>
        <Link to="/invoices" className="tile tile-today" testId="invoices-today">
          <span className="tile-value">{overview ? overview.today.invoices : "–"}</span>
          <span className="tile-label">invoices today</span>
        </Link>
      </div>
      <div className="columns">
        <Card title={`Throughput, last ${HOURS} hours`} testId="throughput-card">
          {overview ? <ThroughputChart hourly={overview.hourly} /> : <p className="muted">loading…</p>}
        </Card>
        <div>
          <Card title="Sources" testId="sources-health">
            {overview ? <SourcesHealth sources={overview.sources} /> : <p className="muted">loading…</p>}
          </Card>
          <DeadLetterQueues />
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
