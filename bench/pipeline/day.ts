import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type GenOptions, rng, write810, writeCsv, writeJson } from "../../src/formats/samples.js";

/** A supplier of the generated day, sending one kind of file. */
interface DaySupplier {
  id: string;
  name: string;
  format: "x12" | "csv" | "json";
}

export interface DayFile {
  name: string;
  format: DaySupplier["format"];
  invoices: number;
}

export interface Day {
  dir: string;
  files: DayFile[];
  invoices: number;
  bytes: number;
}

/** Suppliers of the day: X12 from the large distributors, CSV and JSON from the smaller ones. */
function suppliers(count: number): DaySupplier[] {
  const formats: DaySupplier["format"][] = ["x12", "x12", "csv", "json"];
  return Array.from({ length: count }, (_, i) => ({
    id: `SUPPLIER${String(i + 1).padStart(4, "0")}`,
    name: `Supplier ${i + 1}`,
    format: formats[i % formats.length]!,
  }));
}

/**
 * Writes a production day of supplier files to `dir`: `files` files of X12 810, CSV and JSON,
 * each with 1 to 10 invoices (3.5 on average, so 10,000 files hold about 35,000 invoices), from a
 * seed, so every run digitizes the same day.
 */
export function writeDay(dir: string, files: number, seed = 1): Day {
  mkdirSync(dir, { recursive: true });
  const random = rng(seed);
  const from = suppliers(200);
  const day: Day = { dir, files: [], invoices: 0, bytes: 0 };
  for (let i = 0; i < files; i++) {
    const supplier = from[Math.floor(random() * from.length)]!;
    // 1..10, weighted to small files as a day's mail is: mean about 3.5.
    const invoices = 1 + Math.floor(random() ** 2.3 * 10);
    const options: GenOptions = {
      seed: seed * 1_000_000 + i,
      invoices,
      minLines: 5,
      maxLines: 30,
      supplier: { id: supplier.id, name: supplier.name },
    };
    const chunks =
      supplier.format === "x12"
        ? write810(options)
        : supplier.format === "csv"
          ? writeCsv(options)
          : writeJson(options);
    const text = [...chunks].join("");
    const name = `${String(i + 1).padStart(5, "0")}-${supplier.id}.${supplier.format === "x12" ? "810" : supplier.format}`;
    writeFileSync(join(dir, name), text);
    day.files.push({ name, format: supplier.format, invoices });
    day.invoices += invoices;
    day.bytes += Buffer.byteLength(text);
  }
  return day;
}
