import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  drawInvoices,
  type GenOptions,
  type Manifest,
  write810,
  writeCsv,
  writeJson,
} from "../../src/formats/samples.js";
import { clientDefaults } from "../support/listen.js";
import { type Spawned, spawnTs } from "../support/processes.js";

/**
 * What the reliability tests share: real `inflow serve` and `inflow worker` processes, generated
 * invoice files with what they hold, and a small client of the /v1 API that waits with bounds.
 */

/** A resource file of this folder's fixtures (each a `pipeline:` section tuned for one scenario). */
export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** A port free now, so a server can be restarted on the same one (a worker's --api names it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** Every process a test file starts, so afterEach/afterAll can kill what is left, whatever failed. */
export function processes() {
  const running = new Set<Spawned>();
  return {
    track(spawned: Spawned): Spawned {
      running.add(spawned);
      void spawned.exited.then(() => running.delete(spawned));
      return spawned;
    },
    async killAll(): Promise<void> {
      const left = [...running];
      for (const spawned of left) spawned.child.kill("SIGKILL");
      await Promise.all(left.map((spawned) => spawned.exited));
    },
  };
}

export type Tracker = ReturnType<typeof processes>;

const STARTUP_MILLIS = 40_000;

/** `inflow serve` on 127.0.0.1:`port`, returned once it listens. */
export async function startServe(
  tracker: Tracker,
  options: { databaseArgs: string[]; port: number; config: string; workers?: boolean },
): Promise<Spawned & { url: string }> {
  const args = ["serve", ...options.databaseArgs, "--host", "127.0.0.1", "--port", String(options.port)];
  args.push("--config", options.config);
  if (options.workers === false) args.push("--no-workers");
  const serve = tracker.track(spawnTs("src/cli/main.ts", args, { NO_COLOR: "1" }));
  const line = await serve.waitForLine((text) => text.startsWith("Inflow listening on "), STARTUP_MILLIS);
  const url = /^Inflow listening on (http:\/\/\S+)/.exec(line)![1]!;
  return Object.assign(serve, { url });
}

/** `inflow worker --api URL`, returned once it runs. */
export async function startWorker(
  tracker: Tracker,
  options: { databaseArgs: string[]; api: string; config: string; concurrency?: number },
): Promise<Spawned> {
  const args = ["worker", ...options.databaseArgs, "--api", options.api, "--config", options.config];
  if (options.concurrency !== undefined) args.push("--concurrency", String(options.concurrency));
  const worker = tracker.track(spawnTs("src/cli/main.ts", args, { NO_COLOR: "1" }));
  await worker.waitForLine((text) => text.startsWith("Inflow worker running"), STARTUP_MILLIS);
  return worker;
}

/** Sends `signal` and waits for the process to end. */
export async function stop(spawned: Spawned, signal: NodeJS.Signals) {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill(signal);
  return spawned.exited;
}

/** A generated invoice file and what it holds. */
export interface InvoiceFile {
  name: string;
  bytes: Buffer;
  invoices: number;
  /** The invoice numbers, in the file's order. */
  numbers: string[];
  /** Sum of the invoice totals in cents, credit memos negative (the generator's manifest). */
  totalCents: bigint;
}

const WRITERS = [
  { extension: "edi", write: write810 },
  { extension: "csv", write: writeCsv },
  { extension: "json", write: writeJson },
] as const;

/** Decimal text ("-12.30") to cents. */
export function centsOf(decimal: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(decimal);
  if (!match) throw new Error(`not an amount: ${decimal}`);
  const cents = BigInt(match[2]!) * 100n + BigInt((match[3] ?? "0").padEnd(2, "0"));
  return match[1] ? -cents : cents;
}

/**
 * `count` files cycling X12 810, CSV and JSON, each of `invoices(i)` invoices from 1 to 3 lines,
 * from seven suppliers. Seeds differ per file, so invoice numbers differ between files.
 */
export function invoiceFiles(
  count: number,
  options: { prefix: string; firstSeed: number; invoices: (index: number) => number },
): InvoiceFile[] {
  return Array.from({ length: count }, (_, index) => {
    const { extension, write } = WRITERS[index % WRITERS.length]!;
    const supplier = { id: `SUP${index % 7}`, name: `Supplier ${index % 7}` };
    const generated: GenOptions = {
      seed: options.firstSeed + index,
      invoices: options.invoices(index),
      minLines: 1,
      maxLines: 3,
      supplier,
    };
    let manifest: Manifest | undefined;
    const text = [...write(generated, (m) => (manifest = m))].join("");
    return {
      name: `${options.prefix}${String(index).padStart(4, "0")}.${extension}`,
      bytes: Buffer.from(text),
      invoices: manifest!.invoices,
      numbers: [...drawInvoices(generated)].map((invoice) => invoice.number),
      totalCents: centsOf(manifest!.total),
    };
  });
}

export interface Container {
  id: string;
  name: string;
  state: "New" | "Processing" | "Done" | "Error";
  invoiceCount: number;
  parsedCount: number | null;
  error?: string;
  executionArn?: string;
  warnings?: { code: string; severity: string; message: string }[];
  transitions?: { state: string; at: string; reason?: string }[];
}

export interface Invoice {
  id: string;
  number: string;
  total: string;
  containerId: string;
  key: number;
  duplicateOf?: string;
}

const REQUEST_MILLIS = 10_000;

/** The /v1 API of one `inflow serve`, as the loopback default tenant. */
export function v1(url: () => string) {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url()}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_MILLIS) });
  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await call(path, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  /** Every page of a listing. */
  const all = async <T>(path: string, field: string): Promise<T[]> => {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const separator = path.includes("?") ? "&" : "?";
      const page = await json<Record<string, unknown> & { nextCursor?: string }>(
        `${path}${separator}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      items.push(...(page[field] as T[]));
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  return {
    call,
    async upload(file: { name: string; bytes: Buffer }): Promise<string> {
      const body = await json<{ containerId: string }>(`/v1/files?name=${encodeURIComponent(file.name)}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: file.bytes,
      });
      return body.containerId;
    },
    /** Uploads `files` a few at a time; their container ids in the same order. */
    async uploadAll(files: readonly { name: string; bytes: Buffer }[], parallel = 4): Promise<string[]> {
      const ids: string[] = new Array(files.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < files.length) {
            const index = next++;
            ids[index] = await this.upload(files[index]!);
          }
        }),
      );
      return ids;
    },
    container: (id: string) => json<Container>(`/v1/containers/${id}`),
    containers: (state?: Container["state"]) =>
      all<Container>(`/v1/containers${state ? `?state=${state}` : ""}`, "containers"),
    invoices: (containerId?: string) =>
      all<Invoice>(`/v1/invoices${containerId ? `?container=${containerId}` : ""}`, "invoices"),
    redrive: (id: string) => call(`/v1/containers/${id}/redrive`, { method: "POST" }),
    reprocess: (id: string) => call(`/v1/containers/${id}/reprocess`, { method: "POST" }),
  };
}

export type V1 = ReturnType<typeof v1>;

/** Polls `probe` every `intervalMillis` until it returns a value other than undefined, or fails after `timeoutMillis`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMillis: number; intervalMillis?: number; last?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMillis;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${options.timeoutMillis} ms waiting for ${what}${options.last ? `: ${options.last()}` : ""}`,
      );
    }
    await sleep(options.intervalMillis ?? 250);
  }
}

/** Counts of containers by state. */
export function tally(containers: readonly Container[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const container of containers) counts[container.state] = (counts[container.state] ?? 0) + 1;
  return counts;
}

/**
 * Waits until none of `ids` is New or Processing any more (each Done or Error) and returns them
 * all. Reads the whole listing, so it costs a few requests whatever the number of containers.
 */
export async function settled(api: V1, ids: readonly string[], timeoutMillis: number): Promise<Container[]> {
  const wanted = new Set(ids);
  let last = "";
  return waitFor(
    `${ids.length} containers to be Done or Error`,
    async () => {
      const mine = (await api.containers()).filter((container) => wanted.has(container.id));
      last = JSON.stringify(tally(mine));
      if (mine.length !== wanted.size) return undefined;
      return mine.every((c) => c.state === "Done" || c.state === "Error") ? mine : undefined;
    },
    { timeoutMillis, intervalMillis: 500, last: () => last },
  );
}

/**
 * What "every file digitized exactly once" means, file by file: the container is Done, parsed and
 * created counts equal the file's invoices, the API lists exactly those invoices for it (keys 1..n
 * once each, the file's invoice numbers, totals summing to the file's), none lost, none twice.
 * Returns the problems found, so a failure names them all.
 */
export async function exactlyOnce(api: V1, files: readonly InvoiceFile[], ids: readonly string[]) {
  const problems: string[] = [];
  const byId = new Map((await api.containers()).map((container) => [container.id, container]));
  const invoices = new Map<string, Invoice[]>();
  for (const invoice of await api.invoices()) {
    const list = invoices.get(invoice.containerId) ?? [];
    list.push(invoice);
    invoices.set(invoice.containerId, list);
  }
  let expected = 0;
  let created = 0;
  for (const [index, file] of files.entries()) {
    const id = ids[index]!;
    const container = byId.get(id);
    expected += file.invoices;
    if (!container) {
      problems.push(`${file.name} (${id}): no such container`);
      continue;
    }
    created += container.invoiceCount;
    const where = `${file.name} (${id})`;
    if (container.state !== "Done") problems.push(`${where}: ${container.state} ${container.error ?? ""}`);
    if (container.invoiceCount !== file.invoices || container.parsedCount !== file.invoices) {
      problems.push(
        `${where}: created ${container.invoiceCount}, parsed ${container.parsedCount}, the file holds ${file.invoices}`,
      );
    }
    const listed = invoices.get(id) ?? [];
    const keys = listed.map((invoice) => invoice.key).sort((a, b) => a - b);
    const wantedKeys = Array.from({ length: file.invoices }, (_, k) => k + 1);
    if (JSON.stringify(keys) !== JSON.stringify(wantedKeys)) {
      problems.push(`${where}: invoice keys ${JSON.stringify(keys)}, expected 1..${file.invoices}`);
    }
    const numbers = listed.map((invoice) => invoice.number).sort();
    if (JSON.stringify(numbers) !== JSON.stringify([...file.numbers].sort())) {
      problems.push(`${where}: invoice numbers ${numbers.join(" ")}, expected ${file.numbers.join(" ")}`);
    }
    const total = listed.reduce((sum, invoice) => sum + centsOf(invoice.total), 0n);
    if (total !== file.totalCents)
      problems.push(`${where}: totals sum to ${total} cents, expected ${file.totalCents}`);
  }
  return {
    problems,
    expected,
    created,
    listed: [...invoices.values()].reduce((n, list) => n + list.length, 0),
  };
}

/** Messages waiting or in flight in each dead-letter queue of the pipeline, through the SQS API of `url`. */
export async function deadLetters(url: string): Promise<Record<string, number>> {
  const sqs = new SQSClient(clientDefaults(url));
  try {
    const counts: Record<string, number> = {};
    for (const queue of ["process-file", "create-invoice", "post-invoice-creation", "verify"]) {
      const dlq = `${queue}-dlq`;
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: dlq }));
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      counts[dlq] =
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
    return counts;
  } finally {
    sqs.destroy();
  }
}

/**
 * What a server logged at level error or above (fastify's JSON lines: a /v1 route that failed
 * with a 500, which the pipeline's retries would otherwise hide).
 */
export const loggedErrors = (spawned: Spawned): string[] =>
  spawned.lines.filter((line) => /"level":(50|60)\b/.test(line));
