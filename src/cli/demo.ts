import { type GenOptions, write810, writeCsv, writeJson } from "../formats/samples.js";
import { listContainers } from "../invoices/containers.js";
import type { PipelineStarter } from "../invoices/starter.js";
import { DEFAULT_TENANT } from "../invoices/types.js";
import type { Store } from "../store/types.js";

/** The demo's suppliers: each sends one kind of file, as real suppliers do. */
const SUPPLIERS = [
  { id: "SYSCOFOODS", name: "Sysco Foods Demo", format: "x12" },
  { id: "USFOODSDEMO", name: "US Foods Demo", format: "x12" },
  { id: "FARMFRESH", name: "Farm Fresh Produce", format: "csv" },
  { id: "BAKERYBROS", name: "Bakery Brothers", format: "csv" },
  { id: "OCEANCATCH", name: "Ocean Catch Seafood", format: "json" },
  { id: "DAIRYDIRECT", name: "Dairy Direct", format: "json" },
] as const;

const FIRST_BATCH = 24;
/** A new file arrives this often while the demo runs, so the dashboard has something moving. */
const TRICKLE_MILLIS = 10_000;

/** One generated supplier file: 1 to 10 invoices of 3 to 12 lines. */
function demoFile(n: number): { name: string; bytes: Buffer } {
  const supplier = SUPPLIERS[n % SUPPLIERS.length]!;
  const options: GenOptions = {
    seed: 1000 + n,
    invoices: 1 + ((n * 7) % 10),
    minLines: 3,
    maxLines: 12,
    supplier: { id: supplier.id, name: supplier.name },
  };
  const stamp = String(n).padStart(4, "0");
  switch (supplier.format) {
    case "x12":
      return { name: `${supplier.id}-${stamp}.810`, bytes: Buffer.from([...write810(options)].join("")) };
    case "csv":
      return { name: `${supplier.id}-${stamp}.csv`, bytes: Buffer.from([...writeCsv(options)].join("")) };
    case "json":
      return { name: `${supplier.id}-${stamp}.json`, bytes: Buffer.from([...writeJson(options)].join("")) };
  }
}

/** An 810 cut off after its first invoice's lines: the demo's one container in Error, with the parser's reason. */
function brokenFile(): { name: string; bytes: Buffer } {
  const text = [...write810({ seed: 999, invoices: 1, minLines: 3, maxLines: 3 })].join("");
  return { name: "TRUNCATED-0001.810", bytes: Buffer.from(text.slice(0, text.indexOf("TDS"))) };
}

/**
 * Seeds the default tenant for `inflow serve --demo`: on an instance without containers, a first
 * batch of generated supplier files (X12 810, CSV, JSON) and one broken file; then, as long as it
 * runs, a new file every few seconds. Returns the function that stops the trickle.
 */
export async function seedDemo(store: Store, pipeline: PipelineStarter): Promise<() => Promise<void>> {
  const existing = await listContainers(store, { tenantId: DEFAULT_TENANT, limit: 1 });
  let n = 0;
  const receive = (file: { name: string; bytes: Buffer }) =>
    pipeline.receive(DEFAULT_TENANT, { ...file, source: "demo" });
  if (existing.items.length === 0) {
    for (; n < FIRST_BATCH; n++) await receive(demoFile(n));
    await receive(brokenFile());
  } else {
    n = FIRST_BATCH + (Math.floor(Date.now() / 1000) % 10_000);
  }
  let arriving: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    arriving = receive(demoFile(n++)).catch(() => undefined);
  }, TRICKLE_MILLIS);
  return async () => {
    clearInterval(timer);
    await arriving;
  };
}
