import { createReadStream } from "node:fs";
import { copyFile, lstat, mkdir, readdir, rename, unlink } from "node:fs/promises";
import { extname, isAbsolute, join, resolve } from "node:path";
import { sourceFileTooLarge } from "./errors.js";
import { checkFileName, type RemoteEntry, type Transport } from "./transport.js";
import type { FolderSettings } from "./types.js";

/**
 * A local drop directory as a transport. Only the directory's own regular files are listed:
 * subdirectories and symbolic links are left alone (a link could point anywhere on this machine),
 * and every name is checked before it is joined to a path.
 */
export function createFolderTransport(settings: Pick<FolderSettings, "path">): Transport {
  const dir = resolve(settings.path);
  const pathOf = (entry: RemoteEntry) => join(dir, checkFileName(entry.name));

  return {
    async list() {
      // A missing or unreadable directory fails the poll: it is the source's error.
      const dirents = await readdir(dir, { withFileTypes: true });
      const entries: RemoteEntry[] = [];
      for (const dirent of dirents) {
        if (!dirent.isFile()) continue;
        // lstat: gone since readdir, or replaced by a link, it is not listed.
        const info = await lstat(join(dir, dirent.name)).catch(() => undefined);
        if (!info?.isFile()) continue;
        entries.push({ name: dirent.name, size: info.size, mtime: Math.floor(info.mtimeMs) });
      }
      return entries;
    },

    async fetch(entry, maxBytes) {
      const path = pathOf(entry);
      const info = await lstat(path);
      if (!info.isFile()) throw new Error(`${entry.name} is no longer a plain file.`);
      if (info.size > maxBytes) throw sourceFileTooLarge(entry.name, info.size, maxBytes);
      // Read at most one byte past the limit: a file still growing cannot make this read without end.
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of createReadStream(path, { end: maxBytes })) {
        chunks.push(chunk as Buffer);
        total += (chunk as Buffer).length;
      }
      if (total > maxBytes) throw sourceFileTooLarge(entry.name, total, maxBytes);
      return Buffer.concat(chunks, total);
    },

    async remove(entry) {
      // Already gone (another poll of the source removed it): what was asked for is done.
      await unlink(pathOf(entry)).catch(ignoreMissing);
    },

    async move(entry, archiveDir) {
      const from = pathOf(entry);
      const target = isAbsolute(archiveDir) ? archiveDir : join(dir, archiveDir);
      await mkdir(target, { recursive: true });
      const to = await freeName(target, entry.name);
      try {
        await rename(from, to);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Already gone: another poll of the source moved it.
        if (code === "ENOENT" && !(await lstat(from).catch(() => undefined))) return;
        // Another file system: copy, then delete.
        if (code !== "EXDEV") throw error;
        await copyFile(from, to);
        await unlink(from);
      }
    },

    async close() {},
  };
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}

/** `name` in `dir`, or `name` with `-1`, `-2`, ... before its extension when that is taken. */
async function freeName(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; ; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    if (!(await lstat(candidate).catch(() => undefined))) return candidate;
  }
}
