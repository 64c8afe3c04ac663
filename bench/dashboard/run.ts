/**
 * The dashboard benchmark (issue 8: "server-side paging, so it stays fast with 100,000
 * containers"): a real `inflow serve` (in this process, `workers: false`, so no pipeline runs)
 * over a database seeded straight through its store with 100,000 containers of the default tenant
 * (plus a tenth as many of another), ~90 % Done with ~3 invoices each, received over the last 3
 * days; then the dashboard's API calls, timed over HTTP (fetch, keep-alive) one at a time, round
 * robin, each after a warm-up. Reported: the seeding time apart, and p50 / p95 / max per call
 * against a budget of 100 ms.
 *
 *   npm run bench -- dashboard [--containers 100000] [--runs 50] [--backend sqlite|postgres|both]
 *     [--idle-wait SECONDS] [--docs | --no-docs]
 *
 * Environment: INFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); the
 * PostgreSQL run lives in a schema of its own, dropped at the end. The docs (section
 * `## Dashboard` of docs/benchmarks.md) are written by default when both backends ran.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type RunningServer, startServer } from "../../src/cli/commands/serve.js";
import type { Queryable, SqlValue, Store } from "../../src/store/types.js";
import { writeDocsSection } from "../docs-section.js";
import { describeMachine, nonNegative, positive, waitForIdle } from "../harness.js";
import { checkIdentifier, databaseUrl, dropSchema, redactUrl, vacuumSchema } from "../queues/common.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = join(ROOT, "docs/benchmarks.md");
const BACKENDS = ["sqlite", "postgres"] as const;
type Backend = (typeof BACKENDS)[number];
/** What a dashboard call may take at p95. */
const BUDGET_MILLIS = 100;
const WARMUP = 5;
/** Pages followed with `nextCursor` before the deep page that is timed. */
const DEEP_PAGES = 20;
const DAY_MILLIS = 86_400_000;
const OTHER_TENANT = "acme";
const SUPPLIERS_PER_TENANT = 500;
/**
 * Parameters per multi-row INSERT. SQLite's store binds them by name, which costs more per
 * parameter the more a statement has: there a few hundred are quickest. PostgreSQL takes 65,535.
 */
const PARAMS_PER_INSERT: Record<Backend, number> = { sqlite: 500, postgres: 20_000 };
/** Containers per seeding transaction (with their transitions and invoices). */
const CONTAINERS_PER_TRANSACTION = 10_000;

interface Seeded {
  containers: number;
  defaultContainers: number;
  invoices: number;
  transitions: number;
  suppliers: number;
  seconds: number;
}

interface CallResult {
  name: string;
  path: string;
  /** Items in the answer (containers, invoices; 1 for an object). */
  items: number;
  p50: number;
  p95: number;
  max: number;
}

interface Result {
  backend: Backend;
  seeded: Seeded;
  calls: CallResult[];
  measureSeconds: number;
  load: number;
  busyBefore: number;
}

export async function main(args: string[], command: string): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      containers: { type: "string", default: "100000" },
      runs: { type: "string", default: "50" },
      backend: { type: "string", default: "both" },
      "idle-wait": { type: "string", default: "30" },
      docs: { type: "boolean" },
      "no-docs": { type: "boolean", default: false },
    },
  });
  const containers = positive(values.containers, "--containers");
  const runs = positive(values.runs, "--runs");
  const idleWait = nonNegative(values["idle-wait"], "--idle-wait");
  if (values.backend !== "both" && !(BACKENDS as readonly string[]).includes(values.backend))
    throw new Error(`--backend must be sqlite, postgres or both, not "${values.backend}"`);
  const backends: Backend[] = values.backend === "both" ? [...BACKENDS] : [values.backend as Backend];
  const writeDocs = values["no-docs"] ? false : (values.docs ?? backends.length === BACKENDS.length);

  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
  const machine = await describeMachine();
  const results: Result[] = [];
  for (const backend of backends) {
    process.stderr.write(`== ${backend}\n`);
    results.push(await runBackend(backend, containers, runs, idleWait));
  }
  const section = renderSection({ command, commit, machine, runs, results });
  process.stdout.write(`${section}\n`);
  if (writeDocs) {
    writeDocsSection(DOCS, "## Dashboard", section);
    process.stderr.write(`Wrote the "## Dashboard" section of ${DOCS}\n`);
  } else process.stderr.write("Not writing docs/benchmarks.md (one backend only, or --no-docs).\n");
}

/** A fresh database on `backend`, a server over it, the seeding, the measured calls; then all of it gone. */
async function runBackend(
  backend: Backend,
  containers: number,
  runs: number,
  idleWait: number,
): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "inflow-bench-dashboard-"));
  const schema = checkIdentifier(`bench_dashboard_${process.pid}`);
  const url = new URL(databaseUrl());
  url.searchParams.set("schema", schema);
  if (backend === "postgres") await dropSchema(schema);
  let server: RunningServer | undefined;
  try {
    server = await startServer({
      data: dir,
      ...(backend === "postgres" ? { database: url.toString() } : {}),
      host: "127.0.0.1",
      port: 0,
      workers: false,
      scheduleSources: false,
    });
    const seeded = await seed(server.store, containers);
    process.stderr.write(
      `== ${backend}: seeded ${seeded.containers} containers, ${seeded.invoices} invoices, ${seeded.transitions} transitions in ${seeded.seconds.toFixed(1)} s\n`,
    );
    // What autovacuum does on its own soon after a bulk load; SQLite is left as Inflow leaves it (never ANALYZEd).
    if (backend === "postgres") await vacuumSchema(schema);
    const busyBefore = await waitForIdle(idleWait);
    const load = loadavg()[0]!;
    const started = performance.now();
    const calls = await measureCalls(server, runs);
    const measureSeconds = (performance.now() - started) / 1000;
    for (const call of calls)
      process.stderr.write(
        `   ${call.name.padEnd(34)} p50 ${call.p50.toFixed(1).padStart(7)} ms  p95 ${call.p95.toFixed(1).padStart(7)} ms  max ${call.max.toFixed(1).padStart(7)} ms  (${call.items} items)\n`,
      );
    return { backend, seeded, calls, measureSeconds, load, busyBefore };
  } finally {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    if (backend === "postgres") await dropSchema(schema);
  }
}

// Seeding ---------------------------------------------------------------------------------------

/** A small deterministic generator (mulberry32), so every run seeds the same shape. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const id = (prefix: string) => `${prefix}${randomBytes(15).toString("base64url")}`;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

const SOURCES: Array<[string, number]> = [
  ["upload", 0.3],
  ["api", 0.25],
  ["email", 0.15],
  ["ftp", 0.15],
  ["sftp", 0.1],
  ["folder", 0.05],
];

function pick<T>(weighted: Array<[T, number]>, r: number): T {
  let sum = 0;
  for (const [value, weight] of weighted) {
    sum += weight;
    if (r < sum) return value;
  }
  return weighted.at(-1)![0];
}

/** Multi-row INSERTs of `rows` (each `columns.length` values), as many per statement as PARAMS_PER_INSERT allows. */
async function insertRows(
  db: Queryable,
  table: string,
  columns: readonly string[],
  rows: SqlValue[][],
): Promise<void> {
  const batch = Math.max(1, Math.floor(PARAMS_PER_INSERT[db.dialect] / columns.length));
  for (let start = 0; start < rows.length; start += batch) {
    const chunk = rows.slice(start, start + batch);
    const params: SqlValue[] = [];
    const tuples = chunk.map((row) => {
      const first = params.length;
      params.push(...row);
      return `(${row.map((_, i) => `$${first + i + 1}`).join(", ")})`;
    });
    await db.run(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, params);
  }
}

const CONTAINER_COLUMNS = [
  "id",
  "tenant_id",
  "name",
  "size",
  "sha256",
  "source",
  "received_at",
  "state",
  "error",
  "transition_count",
  "supplier_id",
  "parsed_count",
  "created_count",
] as const;
const TRANSITION_COLUMNS = ["container_id", "seq", "state", "at", "reason"] as const;
const INVOICE_COLUMNS = [
  "id",
  "tenant_id",
  "supplier_id",
  "supplier_match",
  "container_id",
  "key",
  "number",
  "date",
  "total",
  "currency",
  "type",
  "invoice",
  "created_at",
] as const;

/**
 * `count` containers of the default tenant and a tenth as many of another, in the order they were
 * received over the last 3 days (so `seq` follows the time, as it does in use): ~90 % Done with
 * 1 to 5 invoices each (3 on average), 5 % Error, 3 % Processing, 2 % New; every transition kept.
 */
async function seed(store: Store, count: number): Promise<Seeded> {
  const started = performance.now();
  const next = random(2026);
  const now = Date.now();
  const first = now - 3 * DAY_MILLIS;
  const other = Math.floor(count / 10);
  const total = count + other;
  const tenants = ["default", OTHER_TENANT];
  const suppliers = new Map<string, string[]>();
  await store.transaction(async (tx) => {
    await tx.run("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", [
      OTHER_TENANT,
      "Acme",
      first,
    ]);
    const rows: SqlValue[][] = [];
    for (const tenant of tenants) {
      const ids = Array.from({ length: SUPPLIERS_PER_TENANT }, () => id("s_"));
      suppliers.set(tenant, ids);
      for (const [n, supplierId] of ids.entries())
        rows.push([supplierId, tenant, `edi:supplier-${pad(n, 4)}`, `Supplier ${pad(n, 4)} GmbH`, first]);
    }
    await insertRows(tx, "suppliers", ["id", "tenant_id", "match_key", "name", "created_at"], rows);
  });

  const fileNumbers = new Map(tenants.map((tenant) => [tenant, 0]));
  let invoiceNumber = 0;
  let invoices = 0;
  let transitions = 0;
  for (let from = 0; from < total; from += CONTAINERS_PER_TRANSACTION) {
    const containerRows: SqlValue[][] = [];
    const transitionRows: SqlValue[][] = [];
    const invoiceRows: SqlValue[][] = [];
    for (let i = from; i < Math.min(total, from + CONTAINERS_PER_TRANSACTION); i++) {
      // Every 11th container is the other tenant's: 10 % as many as the default's, interleaved.
      const tenant = i % 11 === 10 ? OTHER_TENANT : "default";
      const fileNumber = fileNumbers.get(tenant)!;
      fileNumbers.set(tenant, fileNumber + 1);
      const supplier = Math.floor(next() * SUPPLIERS_PER_TENANT);
      const supplierId = suppliers.get(tenant)![supplier]!;
      const receivedAt = Math.floor(first + ((i + next()) / total) * 3 * DAY_MILLIS);
      const r = next();
      const state = r < 0.9 ? "Done" : r < 0.95 ? "Error" : r < 0.98 ? "Processing" : "New";
      const invoiceCount = state === "Done" ? 1 + Math.floor(next() * 5) : 0;
      const containerId = id("c_");
      const steps: Array<[string, string | null]> =
        state === "New"
          ? [["New", null]]
          : state === "Processing"
            ? [
                ["New", null],
                ["Processing", null],
              ]
            : [
                ["New", null],
                ["Processing", null],
                [state, state === "Error" ? "ParseFile: no invoice in the file" : null],
              ];
      containerRows.push([
        containerId,
        tenant,
        `supplier-${pad(supplier, 4)}-inv-${pad(fileNumber, 6)}.edi`,
        2000 + Math.floor(next() * 30_000),
        randomBytes(32).toString("hex"),
        pick(SOURCES, next()),
        receivedAt,
        state,
        state === "Error" ? "ParseFile: no invoice in the file" : null,
        steps.length,
        state === "Done" ? supplierId : null,
        state === "Done" ? invoiceCount : null,
        invoiceCount,
      ]);
      steps.forEach(([step, reason], n) => {
        transitionRows.push([containerId, n + 1, step, receivedAt + n * 1500, reason]);
      });
      transitions += steps.length;
      for (let key = 1; key <= invoiceCount; key++) {
        const number = `INV-${pad(++invoiceNumber, 7)}`;
        const total = (10 + next() * 9990).toFixed(2);
        const date = new Date(receivedAt - DAY_MILLIS).toISOString().slice(0, 10);
        invoiceRows.push([
          id("i_"),
          tenant,
          supplierId,
          "matched",
          containerId,
          key,
          number,
          date,
          total,
          "EUR",
          "invoice",
          JSON.stringify({
            invoiceNumber: number,
            invoiceDate: date,
            total,
            currency: "EUR",
            type: "invoice",
          }),
          receivedAt + 3000 + key * 100,
        ]);
      }
      invoices += invoiceCount;
    }
    await store.transaction(async (tx) => {
      await insertRows(tx, "containers", CONTAINER_COLUMNS, containerRows);
      await insertRows(tx, "container_transitions", TRANSITION_COLUMNS, transitionRows);
      await insertRows(tx, "invoices", INVOICE_COLUMNS, invoiceRows);
    });
  }
  return {
    containers: total,
    defaultContainers: count,
    invoices,
    transitions,
    suppliers: SUPPLIERS_PER_TENANT * tenants.length,
    seconds: (performance.now() - started) / 1000,
  };
}

// Measuring -------------------------------------------------------------------------------------

async function getJson(
  base: string,
  path: string,
): Promise<{ body: Record<string, unknown>; millis: number }> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`);
  const text = await response.text();
  const millis = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text}`);
  return { body: JSON.parse(text) as Record<string, unknown>, millis };
}

const itemsOf = (body: Record<string, unknown>) =>
  Array.isArray(body.containers)
    ? body.containers.length
    : Array.isArray(body.invoices)
      ? body.invoices.length
      : 1;

/** The dashboard's calls, as the default tenant (loopback, no API key), `runs` times each, round robin. */
async function measureCalls(server: RunningServer, runs: number): Promise<CallResult[]> {
  const base = server.address;
  // The deep page: the cursor after DEEP_PAGES pages of 50, followed as the dashboard follows it.
  let cursor: string | undefined;
  for (let page = 0; page < DEEP_PAGES; page++) {
    const { body } = await getJson(base, `/v1/containers?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    cursor = body.nextCursor as string | undefined;
    if (cursor === undefined) throw new Error(`no page after page ${page + 1}`);
  }
  // An existing invoice number, and containers to open, from the middle of the default tenant's.
  const [invoice] = await server.store.query<{ number: string }>(
    `SELECT number FROM invoices WHERE tenant_id = 'default' AND seq >= (SELECT MAX(seq) / 2 FROM invoices)
     ORDER BY seq LIMIT 1`,
  );
  const sample = await server.store.query<{ id: string }>(
    "SELECT id FROM containers WHERE tenant_id = 'default' AND seq % 97 = 0",
  );
  if (!invoice || sample.length === 0)
    throw new Error("the seeded data has no invoice or container to look up");
  const pickContainer = random(8);
  const calls: Array<{ name: string; path: () => string }> = [
    { name: "overview (24 hours)", path: () => "/v1/overview?hours=24" },
    { name: "containers, first page", path: () => "/v1/containers?limit=50" },
    {
      name: `containers, page ${DEEP_PAGES + 1} (cursor)`,
      path: () => `/v1/containers?limit=50&cursor=${cursor}`,
    },
    { name: "containers, state=Error", path: () => "/v1/containers?state=Error&limit=50" },
    { name: "containers, name search", path: () => "/v1/containers?q=inv-0123&limit=50" },
    {
      name: "containers, invoice number",
      path: () => `/v1/containers?invoice=${encodeURIComponent(invoice.number)}&limit=50`,
    },
    { name: "invoices, first page", path: () => "/v1/invoices?limit=50" },
    {
      name: "container detail (random)",
      path: () => `/v1/containers/${sample[Math.floor(pickContainer() * sample.length)]!.id}`,
    },
  ];
  const times = calls.map(() => [] as number[]);
  const items = calls.map(() => 0);
  for (const [n, call] of calls.entries()) {
    for (let i = 0; i < WARMUP; i++) items[n] = itemsOf((await getJson(base, call.path())).body);
  }
  for (let run = 0; run < runs; run++) {
    for (const [n, call] of calls.entries()) times[n]!.push((await getJson(base, call.path())).millis);
  }
  return calls.map((call, n) => {
    const sorted = [...times[n]!].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return {
      name: call.name,
      path: call
        .path()
        .replace(/cursor=[^&]+/, "cursor=…")
        .replace(/\/c_[\w-]+$/, "/{id}"),
      items: items[n]!,
      p50: at(0.5),
      p95: at(0.95),
      max: sorted.at(-1)!,
    };
  });
}

// Report ----------------------------------------------------------------------------------------

function renderSection(report: {
  command: string;
  commit: string;
  machine: Awaited<ReturnType<typeof describeMachine>>;
  runs: number;
  results: Result[];
}): string {
  const { machine, results } = report;
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const label = (backend: Backend) => (backend === "sqlite" ? "SQLite" : "PostgreSQL");
  const calls = results[0]!.calls;
  const header = `| Call | ${results.map((r) => `${label(r.backend)} p50 / p95 / max (ms) | p95 / budget`).join(" | ")} |`;
  const rule = `| --- | ${results.map(() => "---: | ---:").join(" | ")} |`;
  const rows = calls.map((call, n) => {
    const cells = results.map((r) => {
      const c = r.calls[n]!;
      const ratio = c.p95 / BUDGET_MILLIS;
      return `${fmt(c.p50, 1)} / ${fmt(c.p95, 1)} / ${fmt(c.max, 1)} | ${ratio > 1 ? `**${fmt(ratio, 2)}**` : fmt(ratio, 2)}`;
    });
    return `| ${call.name}: \`${call.path}\` (${fmt(call.items)} ${call.items === 1 ? "item" : "items"}) | ${cells.join(" | ")} |`;
  });
  const seedRows = results.map(
    (r) =>
      `| ${label(r.backend)} | ${fmt(r.seeded.containers)} | ${fmt(r.seeded.invoices)} | ${fmt(r.seeded.transitions)} | ${fmt(r.seeded.seconds, 1)} s | ${fmt(r.measureSeconds, 1)} s |`,
  );
  const worst = results.map((r) => {
    const slowest = r.calls.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    const over = r.calls.filter((c) => c.p95 > BUDGET_MILLIS);
    return `${label(r.backend)}: the slowest call (${slowest.name}) at ${fmt(slowest.p95 / BUDGET_MILLIS, 2)}× the budget at p95, ${
      over.length === 0
        ? "every call within it"
        : `${over.length} over it (${over.map((c) => c.name).join(", ")})`
    }`;
  });
  const seeded = results[0]!.seeded;
  // The default tenant's files are numbered in the order received: inv-0123NN are the 12,300th to 12,399th.
  const searchNote =
    seeded.defaultContainers >= 12_400
      ? `matches 100 files from near the start of the 3 days, so a scan from
the newest passes ~${fmt(((seeded.defaultContainers - 12_350) / seeded.defaultContainers) * 100)} % of the tenant's containers before it has 50`
      : "matches no file at this size, so it reads every container";
  return `## Dashboard

The dashboard's API calls over a large history (issue 8: "server-side paging, so it stays fast with 100,000 containers"),
measured by \`bench/dashboard/\`: a real \`inflow serve\` (in the benchmark's process, \`workers: false\`: no pipeline runs)
over a database seeded straight through its store (multi-row INSERTs, ${fmt(CONTAINERS_PER_TRANSACTION)} containers per transaction) with
${fmt(seeded.defaultContainers)} containers of the default tenant and ${fmt(seeded.containers - seeded.defaultContainers)} of another, received over the last 3 days, ~90 % Done
(1 to 5 invoices each, 3 on average), 5 % Error, 3 % Processing, 2 % New, names like \`supplier-0042-inv-012345.edi\`, ${fmt(seeded.suppliers)}
suppliers, every transition kept. Each call is made as the default tenant (loopback, no API key) over HTTP with
\`fetch\` (keep-alive), one at a time, ${WARMUP} warm-up calls each, then ${report.runs} rounds of every call in turn; the time is
request to the last byte of the answer. The deep page follows \`nextCursor\` ${DEEP_PAGES} times and times page ${DEEP_PAGES + 1}; the
container detail opens a different random container each time. The name search (\`inv-0123\`)
${searchNote}. PostgreSQL is VACUUM ANALYZEd after the
seeding (what autovacuum soon does by itself); SQLite is left as Inflow leaves it (never ANALYZEd). The budget is ${BUDGET_MILLIS} ms at p95.

${header}
${rule}
${rows.join("\n")}

| Backend | Containers | Invoices | Transitions | Seeding | Measured calls |
| --- | ---: | ---: | ---: | ---: | ---: |
${seedRows.join("\n")}

${worst.join("; ")}.

### Reproduce

\`\`\`sh
${report.command}
\`\`\`

Inflow code measured: commit ${report.commit}. Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform}, Node.js ${machine.node}, ${machine.postgres} (same machine, \`${redactUrl(databaseUrl())}\`, default settings), SQLite ${machine.sqlite} (WAL, \`synchronous=NORMAL\`). Date: ${machine.date}.
1-minute load average before each backend's calls: ${results.map((r) => fmt(r.load, 1)).join(", ")}; CPUs busy just before: ${results.map((r) => `${fmt(r.busyBefore * 100)} %`).join(", ")}.
`;
}
