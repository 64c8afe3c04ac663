import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { IngestError } from "../../ingest/errors.js";
import { type PollReport, pollSource } from "../../ingest/poll.js";
import { createSecretReader } from "../../ingest/secrets.js";
import { addSource, listSources, removeSource } from "../../ingest/sources.js";
import { AFTER_ACTIONS, SOURCE_KINDS, type Source } from "../../ingest/types.js";
import { containerProgress } from "../../invoices/containers.js";
import { InvoicesError } from "../../invoices/errors.js";
import { DEFAULT_TENANT } from "../../invoices/types.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/types.js";
import { CliError } from "../errors.js";
import { wholeNumber } from "../number-arguments.js";
import { table, time, truncate, write, writeJson } from "../output.js";
import {
  masterKeyOf,
  type StorageOptions,
  storeOf,
  withMasterKeyOption,
  withStorageOptions,
} from "../storage-options.js";
import { startServer } from "./serve.js";

interface SourceOptions extends StorageOptions {
  json?: boolean;
  tenant: string;
}

interface AddOptions extends SourceOptions {
  kind: string;
  path?: string;
  host?: string;
  port?: number;
  user?: string;
  passwordSecret?: string;
  privateKeySecret?: string;
  hostKey?: string;
  directory?: string;
  tls?: string;
  caFile?: string;
  timeout?: number;
  address?: string;
  mailbox?: string;
  maxEmailBytes?: number;
  pattern?: string;
  after?: string;
  archive?: string;
  schedule?: string;
  maxFileBytes?: number;
  minAge?: number;
  concurrency?: number;
  retries?: number;
  disabled?: boolean;
}

/** `--flag` to settings field: only the flags given become settings, so each kind's checks see what was asked. */
const SETTING_FLAGS = {
  host: "host",
  port: "port",
  user: "user",
  passwordSecret: "passwordSecret",
  privateKeySecret: "privateKeySecret",
  hostKey: "hostKey",
  directory: "directory",
  tls: "tls",
  caFile: "caFile",
  timeout: "timeoutSeconds",
  address: "address",
  mailbox: "mailbox",
  maxEmailBytes: "maxEmailBytes",
  pattern: "pattern",
  after: "after",
  archive: "archive",
  maxFileBytes: "maxFileBytes",
  minAge: "minAgeSeconds",
  concurrency: "concurrency",
  retries: "retries",
} as const satisfies Partial<Record<keyof AddOptions, string>>;

const parseBytes = wholeNumber("a number of bytes", 1);
const parseSeconds = wholeNumber("a whole number of seconds", 0);
const parseCount = wholeNumber("a whole number", 0, 16);
const parsePort = wholeNumber("a port number", 1, 65_535);

/** Where a source's files come from, for the table. */
function whereOf(source: Source): string {
  switch (source.kind) {
    case "folder":
      return source.settings.path;
    case "email":
      return source.settings.address;
    case "imap": {
      const { user, host, port, mailbox } = source.settings;
      return `imap://${user}@${host}${port !== undefined ? `:${port}` : ""}/${mailbox ?? "INBOX"}`;
    }
    default: {
      const { user, host, port, directory } = source.settings;
      return `${source.kind}://${user}@${host}${port !== undefined ? `:${port}` : ""}/${directory ?? ""}`;
    }
  }
}

/** How often `poll` looks at the containers it made until each is Done or Error. */
const WAIT_MILLIS = 200;
const ERROR_COLUMN_WIDTH = 80;

/** Sources live in the database: these commands open it directly, as `inflow tenants` does. */
function withOptions(command: Command): Command {
  return withMasterKeyOption(withStorageOptions(command))
    .option("--tenant <id>", "the tenant the source belongs to", DEFAULT_TENANT)
    .option("--json", "print JSON instead of a table");
}

/** Mistakes the user can fix (a wrong name, a missing directory) are printed as plain messages. */
const plain = (error: unknown) =>
  error instanceof IngestError || error instanceof InvoicesError ? new CliError(error.message) : error;

async function withStore<T>(options: SourceOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(storeOf(options));
  try {
    return await work(store);
  } catch (error) {
    throw plain(error);
  } finally {
    await store.close();
  }
}

export function registerSources(program: Command): void {
  const sources = program
    .command("sources")
    .description(
      "Sources: where a tenant's supplier files arrive (a drop folder, an FTP, FTPS or SFTP server, an email address). A poll makes a container of each new file; mail becomes containers as it arrives (inflow serve --smtp-port).",
    );

  withOptions(
    sources
      .command("add")
      .description("Add a source.")
      .argument("<name>", "1 to 64 of A-Za-z0-9_.-")
      .addOption(
        new Option("--kind <kind>", "what the source is").choices(SOURCE_KINDS).makeOptionMandatory(),
      )
      .option("--path <dir>", "folder: the drop directory")
      .option("--host <host>", "ftp, ftps, sftp, imap: the server")
      .option(
        "--port <port>",
        "ftp, ftps, sftp, imap: the port (default 21, 990 for implicit ftps, 22, 993 for imap)",
        parsePort,
      )
      .option("--user <name>", "ftp, ftps, sftp, imap: the user to log in as")
      .option(
        "--password-secret <secret>",
        "ftp, ftps, sftp, imap: the name of the tenant's secret holding the password",
      )
      .option("--private-key-secret <secret>", "sftp: the name of the tenant's secret holding a private key")
      .option(
        "--host-key <fingerprint>",
        "sftp: the server's key, SHA256:... as `inflow sources test` shows it",
      )
      .option(
        "--directory <dir>",
        "ftp, ftps, sftp: the directory on the server (default the login directory)",
      )
      .addOption(
        new Option(
          "--tls <mode>",
          "ftps: explicit (AUTH TLS, default) or implicit; imap: implicit (default), starttls or none",
        ).choices(["explicit", "implicit", "starttls", "none"]),
      )
      .option("--ca-file <pem>", "ftps, imap: a CA certificate to trust besides the system's", (value) =>
        resolve(value),
      )
      .option(
        "--timeout <seconds>",
        "ftp, ftps, sftp, imap: for connecting and each transfer (default 30)",
        parseSeconds,
      )
      .option("--address <email>", "email: the address mail for the source is sent to")
      .option("--mailbox <name>", "imap: the mailbox to take messages from (default INBOX)")
      .option("--max-email-bytes <n>", "email, imap: refuse larger emails (default 64 MiB)", parseBytes)
      .option("--pattern <glob>", "take only file names matching this glob, e.g. '*.edi' or '*.{csv,json}'")
      .addOption(
        new Option("--after <action>", "what happens to a taken file (default keep)").choices(AFTER_ACTIONS),
      )
      .option("--archive <dir>", "with --after move: where taken files go (relative: inside the folder)")
      .option("--schedule <expression>", 'when to poll: "rate(5 minutes)" or "cron(0 6 * * ? *)", in UTC')
      .option("--max-file-bytes <n>", "refuse files larger than this", parseBytes)
      .option(
        "--min-age <seconds>",
        "leave files modified less than this long ago for a later poll",
        parseSeconds,
      )
      .option(
        "--concurrency <n>",
        "files fetched at once, each over its own connection (default 1)",
        parseCount,
      )
      .option(
        "--retries <n>",
        "tries again after a failed connect or transfer, 1 s, 2 s, 4 s ... apart (default 2)",
        parseCount,
      )
      .option("--disabled", "add it disabled (not polled on its schedule)"),
  ).action((name: string, options: AddOptions) =>
    withStore(options, async (store) => {
      const source = await addSource(store, {
        tenantId: options.tenant,
        name,
        kind: options.kind,
        settings: {
          ...(options.path !== undefined ? { path: resolve(options.path) } : {}),
          ...Object.fromEntries(
            Object.entries(SETTING_FLAGS).flatMap(([flag, field]) =>
              options[flag as keyof typeof SETTING_FLAGS] !== undefined
                ? [[field, options[flag as keyof typeof SETTING_FLAGS]]]
                : [],
            ),
          ),
        },
        ...(options.schedule !== undefined ? { schedule: options.schedule } : {}),
        ...(options.disabled ? { enabled: false } : {}),
      });
      if (options.json) await writeJson(source);
      else await write(`Added source ${name} (${source.kind}) for tenant ${source.tenantId}\n`);
    }),
  );

  withOptions(
    sources.command("ls").description("List the sources: settings, last poll, files taken, last error."),
  )
    .option("--all-tenants", "every tenant's sources")
    .action((options: SourceOptions & { allTenants?: boolean }) =>
      withStore(options, async (store) => {
        const rows = await listSources(store, options.allTenants ? undefined : options.tenant);
        if (options.json) return writeJson(rows);
        await write(
          table(rows, [
            { header: "TENANT", value: (row) => row.tenantId },
            { header: "NAME", value: (row) => row.name },
            { header: "KIND", value: (row) => row.kind },
            { header: "WHERE", value: whereOf },
            { header: "PATTERN", value: (row) => row.settings.pattern ?? "*" },
            { header: "AFTER", value: (row) => row.settings.after },
            { header: "SCHEDULE", value: (row) => (row.enabled ? (row.schedule ?? "-") : "disabled") },
            {
              header: "LAST POLL",
              value: (row) => time(row.lastPollAt ? new Date(row.lastPollAt) : undefined),
            },
            { header: "TAKEN", value: (row) => String(row.filesTaken), align: "right" },
            { header: "LAST ERROR", value: (row) => truncate(row.lastError ?? "", ERROR_COLUMN_WIDTH) },
          ]),
        );
      }),
    );

  withOptions(
    sources
      .command("test")
      .description("List a source's files and what a poll would do with each, taking nothing.")
      .argument("<name>", "the source"),
  ).action((name: string, options: SourceOptions) =>
    withStore(options, async (store) => {
      // Nothing is received: a pipeline that refuses every file makes sure of it.
      const pipeline = {
        receive: () => Promise.reject(new Error("sources test takes nothing")),
      };
      const readSecret = createSecretReader(store, () => masterKeyOf(options));
      const report = await pollSource({ store, pipeline, readSecret }, options.tenant, name, { take: false });
      await printReport(report, options.json === true);
      if (report.error !== undefined) process.exitCode = 1;
    }),
  );

  withOptions(
    sources
      .command("poll")
      .description(
        "Poll a source once now, through the digitize pipeline in this process, and wait for the containers it made.",
      )
      .argument("<name>", "the source"),
  ).action(async (name: string, options: SourceOptions) => {
    const server = await startServer({
      data: options.data,
      ...(options.database !== undefined ? { database: options.database } : {}),
      ...(options.masterKeyFile !== undefined ? { masterKeyFile: options.masterKeyFile } : {}),
      host: "127.0.0.1",
      port: 0,
      // This poll only: the scheduled ones are for serve and worker.
      scheduleSources: false,
    });
    let report: PollReport;
    try {
      report = await pollSource(server, options.tenant, name).catch((error) => {
        throw plain(error);
      });
      await waitForContainers(server.store, report);
    } finally {
      await server.close();
    }
    await printReport(report, options.json === true);
    const failed =
      report.error !== undefined ||
      rowsOf(report).some(({ row }) => row.status === "error" || row.state === "Error");
    if (failed) process.exitCode = 1;
  });

  withOptions(
    sources
      .command("rm")
      .description("Remove a source and its memory of the files it took (its containers stay).")
      .argument("<name>", "the source"),
  ).action((name: string, options: SourceOptions) =>
    withStore(options, async (store) => {
      if (!(await removeSource(store, options.tenant, name))) {
        throw new CliError(`No source ${name} for tenant ${options.tenant}.`);
      }
      if (options.json) await writeJson({ tenant: options.tenant, name, removed: true });
      else await write(`Removed source ${name}\n`);
    }),
  );
}

type Row = { name: string; size: number; status: string; containerId?: string; error?: string } & {
  state?: string;
  invoices?: number;
};

/**
 * The report's files, each with a zip's members after it (labelled inside it: `batch.zip/x.edi`).
 * Rows are the report's own objects, so the states noted on them show in `--json` too.
 */
const rowsOf = (report: PollReport): { label: string; row: Row }[] =>
  report.files.flatMap((file) => [
    { label: file.name, row: file as Row },
    ...(file.unpacked ?? []).map((member) => ({ label: `${file.name}/${member.name}`, row: member as Row })),
  ]);

/** Waits until every container the poll made is Done or Error, and notes each one's end on its row. */
async function waitForContainers(store: Store, report: PollReport): Promise<void> {
  const waiting = new Map(
    rowsOf(report)
      .map(({ row }) => row)
      .filter((row) => row.status === "taken" && row.containerId)
      .map((row) => [row.containerId!, row]),
  );
  while (waiting.size > 0) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_MILLIS));
    for (const container of await containerProgress(store, [...waiting.keys()])) {
      if (container.state !== "Done" && container.state !== "Error") continue;
      const row = waiting.get(container.id)!;
      waiting.delete(container.id);
      row.state = container.state;
      row.invoices = container.createdCount;
      if (container.error !== undefined) row.error = container.error;
    }
  }
}

/** What connecting learned, as the user checks it (an SFTP server's host key). */
const FACT_LABELS: Record<string, string> = { hostKey: "Host key" };

async function printReport(report: PollReport, json: boolean): Promise<void> {
  if (json) return writeJson(report);
  if (report.error !== undefined) await write(`Source ${report.source}: ${report.error}\n`);
  for (const [fact, value] of Object.entries(report.facts ?? {})) {
    await write(`${FACT_LABELS[fact] ?? fact}: ${value}\n`);
  }
  const rows = rowsOf(report);
  if (rows.length > 0) {
    await write(
      table(rows, [
        { header: "FILE", value: ({ label }) => label },
        { header: "SIZE", value: ({ row }) => String(row.size), align: "right" },
        { header: "STATUS", value: ({ row }) => row.status },
        { header: "STATE", value: ({ row }) => row.state ?? "-" },
        {
          header: "INVOICES",
          value: ({ row }) => (row.invoices !== undefined ? String(row.invoices) : "-"),
          align: "right",
        },
        { header: "CONTAINER", value: ({ row }) => row.containerId ?? "-" },
        { header: "ERROR", value: ({ row }) => truncate(row.error ?? "", ERROR_COLUMN_WIDTH) },
      ]),
    );
  }
  const listed = report.files.length;
  await write(
    `${listed} file${listed === 1 ? "" : "s"} listed, ${report.taken} taken${report.ignored > 0 ? `, ${report.ignored} not matching the pattern` : ""}\n`,
  );
}
