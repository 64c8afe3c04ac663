import { once } from "node:events";

/** Output for people (aligned tables) and for scripts (one JSON document), shared by the operating commands. */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Numbers line up on the right. */
  align?: "right";
}

/** Writes to stdout, waiting for it to drain so a large table piped into `head` or a file is not cut. */
export async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

export const writeJson = (value: unknown) => write(`${JSON.stringify(value, null, 2)}\n`);

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        if (columns[i]?.align === "right") return cell.padStart(width);
        return i === line.length - 1 ? cell : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return `${[columns.map((column) => column.header), ...cells].map(render).join("\n")}\n`;
}

/** `2026-11-27 16:05:01Z`, in UTC: sortable, and the same for every reader of a shared log. */
export function time(date: Date | undefined): string {
  return date
    ? date
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z")
    : "-";
}

/** `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function duration(millis: number): string {
  if (millis < 1000) return `${Math.round(millis)} ms`;
  const seconds = millis / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** At most `max` characters, marked with `…` when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Tables hold one line per row: newlines and tabs become visible escapes. */
function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n").replace(/\t/g, "\\t");
}

/** Red on a terminal (unless NO_COLOR is set), plain in pipes and files. */
export function alert(text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY && !process.env.NO_COLOR ? `\u001b[31m${text}\u001b[0m` : text;
}
