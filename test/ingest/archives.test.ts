import zlib from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import yazl from "yazl";
import { isZip, unpackZip } from "../../src/ingest/archives.js";
import { IngestError } from "../../src/ingest/errors.js";

/** One entry of a zip made here: a file (stored unless `compress`), or a directory when `data` is absent. */
interface Item {
  path: string;
  data?: Buffer | string;
  compress?: boolean;
  mode?: number;
}

/** Zips are made in each test with yazl: no binary fixtures in the repository. */
async function makeZip(items: Item[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    if (item.data === undefined) {
      zip.addEmptyDirectory(item.path);
    } else {
      const data = typeof item.data === "string" ? Buffer.from(item.data) : item.data;
      zip.addBuffer(data, item.path, {
        compress: item.compress ?? false,
        ...(item.mode === undefined ? {} : { mode: item.mode }),
      });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Calls `patch` with the offsets of each entry's central directory record and local file header,
 * for the headers yazl cannot write (names with `..`, encryption, lying sizes). Field offsets:
 * flags +8/+6, compressed size +20/+18, uncompressed size +24/+22, name +46/+30.
 */
function patchEntries(
  zip: Buffer,
  patch: (zip: Buffer, central: number, local: number, name: string) => void,
): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from("PK\x05\x06", "latin1"));
  const count = zip.readUInt16LE(eocd + 10);
  let central = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(central + 28);
    const name = zip.toString("utf8", central + 46, central + 46 + nameLength);
    patch(zip, central, zip.readUInt32LE(central + 42), name);
    central += 46 + nameLength + zip.readUInt16LE(central + 30) + zip.readUInt16LE(central + 32);
  }
  return zip;
}

/** Renames entries in both headers; the new name must have the same length in bytes. */
function rename(zip: Buffer, names: Record<string, string>): Buffer {
  return patchEntries(zip, (zip, central, local, name) => {
    const to = names[name];
    if (to === undefined) return;
    expect(Buffer.byteLength(to)).toBe(Buffer.byteLength(name));
    zip.write(to, central + 46);
    zip.write(to, local + 30);
  });
}

const names = (files: { name: string }[]) => files.map((file) => file.name);
const MiB = 1024 * 1024;

async function refusal(promise: Promise<unknown>): Promise<IngestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IngestError);
  return err as IngestError;
}

describe("unpacking a zip", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("returns plain files under their base names with their exact bytes, stored or deflated", async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = "ISA*00*~".repeat(500);
    const zip = await makeZip([
      { path: "jan/" },
      { path: "jan/a.edi", data: text, compress: true },
      { path: "jan/deep/b.bin", data: binary },
      { path: "c.json", data: '{"x":1}', compress: false },
      { path: "empty.csv", data: "" },
    ]);
    const { files, errors } = await unpackZip("invoices.zip", zip, { maxFileBytes: MiB });
    expect(errors).toEqual([]);
    expect(names(files)).toEqual(["a.edi", "b.bin", "c.json", "empty.csv"]);
    expect(files[0]!.bytes.toString()).toBe(text);
    expect(files[1]!.bytes.equals(binary)).toBe(true);
    expect(files[2]!.bytes.toString()).toBe('{"x":1}');
    expect(files[3]!.bytes.length).toBe(0);
  });

  it("returns both files when two folders hold the same name", async () => {
    const zip = await makeZip([
      { path: "jan/a.edi", data: "one" },
      { path: "feb/a.edi", data: "two", compress: true },
    ]);
    const { files } = await unpackZip("x.zip", zip, { maxFileBytes: MiB });
    expect(files.map((f) => [f.name, f.bytes.toString()])).toEqual([
      ["a.edi", "one"],
      ["a.edi", "two"],
    ]);
  });

  it("skips directories, __MACOSX/ and dot files silently", async () => {
    const zip = await makeZip([
      { path: "jan/" },
      { path: "jan/sub/" },
      { path: "__MACOSX/jan/._a.edi", data: "resource fork" },
      { path: "__MACOSX/x.edi", data: "metadata" },
      { path: ".DS_Store", data: "finder" },
      { path: "jan/.hidden.edi", data: "hidden" },
      { path: "jan/a.edi", data: "kept" },
    ]);
    const { files, errors } = await unpackZip("x.zip", zip, { maxFileBytes: MiB });
    expect(names(files)).toEqual(["a.edi"]);
    expect(errors).toEqual([]);
  });

  it("never returns a path: escaping names are cut to their base name or refused", async () => {
    const zip = rename(
      await makeZip([
        { path: "xx/xx/evil.edi", data: "up" },
        { path: "_etc_passwd.edi", data: "root" },
        { path: "win_back.edi", data: "win", compress: true },
        { path: "C_drive.edi", data: "drive" },
        { path: "bell_.edi", data: "bell" },
        { path: "xx/__", data: "dotdot" },
        { path: "ok.edi", data: "ok" },
      ]),
      {
        "xx/xx/evil.edi": "../../evil.edi",
        "_etc_passwd.edi": "/etc/passwd.edi",
        "win_back.edi": "win\\back.edi",
        "C_drive.edi": "C:drive.edi",
        "bell_.edi": "bell\u0007.edi",
        "xx/__": "xx/..",
      },
    );
    const { files, errors } = await unpackZip("x.zip", zip, { maxFileBytes: MiB });
    expect(files.map((f) => [f.name, f.bytes.toString()])).toEqual([
      ["evil.edi", "up"],
      ["passwd.edi", "root"],
      ["back.edi", "win"],
      ["ok.edi", "ok"],
    ]);
    for (const file of files) expect(file.name).not.toMatch(/[/\\]|^\.\.?$/);
    expect(errors).toEqual([
      { name: "C:drive.edi", error: "x.zip: C:drive.edi: not a plain file name; skipped." },
      { name: "bell\u0007.edi", error: 'x.zip: "bell\\u0007.edi": not a plain file name; skipped.' },
      { name: "xx/..", error: "x.zip: xx/..: not a plain file name; skipped." },
    ]);
  });

  it("reports a file over the per-file limit and returns the rest", async () => {
    const zip = await makeZip([
      { path: "jan/small.edi", data: "a".repeat(1000) },
      { path: "jan/big.edi", data: "b".repeat(1001), compress: true },
      { path: "feb/big-stored.edi", data: "c".repeat(5000) },
      { path: "feb/last.edi", data: "d" },
    ]);
    const { files, errors } = await unpackZip("invoices.zip", zip, { maxFileBytes: 1000 });
    expect(names(files)).toEqual(["small.edi", "last.edi"]);
    expect(errors).toEqual([
      {
        name: "jan/big.edi",
        error: "invoices.zip: jan/big.edi: 1001 bytes exceeds the limit of 1000 bytes.",
      },
      {
        name: "feb/big-stored.edi",
        error: "invoices.zip: feb/big-stored.edi: 5000 bytes exceeds the limit of 1000 bytes.",
      },
    ]);
  });

  it("throws ArchiveTooLarge past maxFiles, and takes exactly maxFiles", async () => {
    const items = [1, 2, 3].map((n) => ({ path: `f${n}.edi`, data: `${n}` }));
    const zip = await makeZip([{ path: ".DS_Store", data: "not counted" }, ...items]);
    expect(names((await unpackZip("x.zip", zip, { maxFileBytes: 10, maxFiles: 3 })).files)).toHaveLength(3);
    const err = await refusal(unpackZip("x.zip", zip, { maxFileBytes: 10, maxFiles: 2 }));
    expect(err.name).toBe("ArchiveTooLarge");
    expect(err.status).toBe(413);
    expect(err.message).toBe("x.zip: more than 2 files exceeds the limit of 2 files.");
  });

  it("throws ArchiveTooLarge past maxTotalBytes", async () => {
    const zip = await makeZip([1, 2, 3].map((n) => ({ path: `f${n}.edi`, data: "x".repeat(100) })));
    expect((await unpackZip("x.zip", zip, { maxFileBytes: 100, maxTotalBytes: 300 })).files).toHaveLength(3);
    const err = await refusal(unpackZip("x.zip", zip, { maxFileBytes: 100, maxTotalBytes: 250 }));
    expect(err.name).toBe("ArchiveTooLarge");
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/^x\.zip: .*exceeds the limit of 250 bytes/);
  });

  describe("a zip bomb (50 MB of zeros, 1 MB per-file limit)", () => {
    /** Counts what zlib inflates, to show the bomb is never unpacked whole. */
    function countInflated(): () => number {
      let inflated = 0;
      const create = zlib.createInflateRaw;
      vi.spyOn(zlib, "createInflateRaw").mockImplementation((options) => {
        const inflate = create(options);
        const push = inflate.push.bind(inflate);
        inflate.push = (chunk: Buffer | null, encoding?: BufferEncoding) => {
          if (chunk) inflated += chunk.length;
          return push(chunk, encoding);
        };
        return inflate;
      });
      return () => inflated;
    }

    const bomb = () =>
      makeZip([
        { path: "bomb.edi", data: Buffer.alloc(50 * MiB), compress: true },
        { path: "after.edi", data: "still here" },
      ]);

    it("is refused from its declared size without inflating anything", async () => {
      const zip = await bomb();
      expect(zip.length).toBeLessThan(MiB);
      const inflated = countInflated();
      const started = performance.now();
      const { files, errors } = await unpackZip("bomb.zip", zip, { maxFileBytes: MiB });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(errors).toEqual([
        {
          name: "bomb.edi",
          error: `bomb.zip: bomb.edi: ${50 * MiB} bytes exceeds the limit of ${MiB} bytes.`,
        },
      ]);
      expect(names(files)).toEqual(["after.edi"]);
      expect(inflated()).toBe(0);
    });

    it("is refused while inflating when its headers lie about its size", async () => {
      // Claim 1,000 bytes in both headers: only counting what comes out of zlib can tell.
      const zip = patchEntries(await bomb(), (zip, central, local, name) => {
        if (name !== "bomb.edi") return;
        zip.writeUInt32LE(1000, central + 24);
        zip.writeUInt32LE(1000, local + 22);
      });
      const inflated = countInflated();
      const started = performance.now();
      const { files, errors } = await unpackZip("bomb.zip", zip, { maxFileBytes: MiB });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(names(files)).toEqual(["after.edi"]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.name).toBe("bomb.edi");
      expect(errors[0]!.error).toMatch(/^bomb\.zip: bomb\.edi: unreadable: too many bytes/);
      // Inflating stopped within a chunk or so of the lie (the spy did see it inflate).
      expect(inflated()).toBeGreaterThan(0);
      expect(inflated()).toBeLessThan(MiB);
    });

    it("is refused when it claims exactly the limit, after at most about the limit is inflated", async () => {
      const zip = patchEntries(await bomb(), (zip, central, local, name) => {
        if (name !== "bomb.edi") return;
        zip.writeUInt32LE(MiB, central + 24);
        zip.writeUInt32LE(MiB, local + 22);
      });
      const inflated = countInflated();
      const { files, errors } = await unpackZip("bomb.zip", zip, { maxFileBytes: MiB });
      expect(names(files)).toEqual(["after.edi"]);
      expect(errors.map((e) => e.name)).toEqual(["bomb.edi"]);
      expect(errors[0]!.error).toMatch(/^bomb\.zip: bomb\.edi: (unreadable: too many bytes|more than)/);
      expect(inflated()).toBeGreaterThan(MiB);
      expect(inflated()).toBeLessThan(2 * MiB);
    });
  });

  it("reports an encrypted entry", async () => {
    // yazl cannot encrypt: set the general purpose "encrypted" bit in both headers.
    const zip = patchEntries(
      await makeZip([
        { path: "jan/secret.edi", data: "x".repeat(100), compress: true },
        { path: "jan/open.edi", data: "open" },
      ]),
      (zip, central, local, name) => {
        if (name !== "jan/secret.edi") return;
        zip.writeUInt16LE(zip.readUInt16LE(central + 8) | 1, central + 8);
        zip.writeUInt16LE(zip.readUInt16LE(local + 6) | 1, local + 6);
      },
    );
    const { files, errors } = await unpackZip("x.zip", zip, { maxFileBytes: MiB });
    expect(names(files)).toEqual(["open.edi"]);
    expect(errors).toEqual([
      { name: "jan/secret.edi", error: "x.zip: jan/secret.edi: encrypted; not supported." },
    ]);
  });

  it("reports a symbolic link rather than returning its target as a file", async () => {
    const zip = await makeZip([
      { path: "link.edi", data: "/etc/passwd", mode: 0o120777 },
      { path: "real.edi", data: "real" },
    ]);
    const { files, errors } = await unpackZip("x.zip", zip, { maxFileBytes: MiB });
    expect(names(files)).toEqual(["real.edi"]);
    expect(errors.map((e) => e.error)).toEqual([
      "x.zip: link.edi: a symbolic link, not a plain file; skipped.",
    ]);
  });

  it("returns a nested zip as a file, not unpacked", async () => {
    const inner = await makeZip([{ path: "inside.edi", data: "inner" }]);
    const zip = await makeZip([{ path: "batch/inner.zip", data: inner, compress: true }]);
    const { files } = await unpackZip("outer.zip", zip, { maxFileBytes: MiB });
    expect(names(files)).toEqual(["inner.zip"]);
    expect(files[0]!.bytes.equals(inner)).toBe(true);
    expect(isZip(files[0]!.bytes)).toBe(true);
  });

  it("returns no files for an empty zip", async () => {
    const zip = await makeZip([]);
    expect(zip.length).toBe(22);
    expect(await unpackZip("empty.zip", zip, { maxFileBytes: MiB })).toEqual({ files: [], errors: [] });
  });

  it("throws InvalidArchive for bytes that are not a readable zip", async () => {
    const good = await makeZip([
      { path: "a.edi", data: "a" },
      { path: "b.edi", data: "b" },
    ]);
    const eocd = good.lastIndexOf(Buffer.from("PK\x05\x06", "latin1"));
    const badCentral = Buffer.from(good);
    badCentral.writeUInt32LE(0xdeadbeef, good.readUInt32LE(eocd + 16)); // first central record's signature
    for (const bytes of [
      Buffer.from("not a zip at all, just text"),
      Buffer.alloc(0),
      Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(100, 7)]),
      good.subarray(0, good.length - 10), // truncated end of central directory
      badCentral,
    ]) {
      const err = await refusal(unpackZip("bad.zip", bytes, { maxFileBytes: MiB }));
      expect(err.name).toBe("InvalidArchive");
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/^bad\.zip: \S/);
    }
  });
});

describe("isZip", () => {
  it("knows a zip by its signature, whatever its name", async () => {
    expect(isZip(await makeZip([{ path: "a.edi", data: "a" }]))).toBe(true);
    expect(isZip(await makeZip([]))).toBe(true);
    expect(isZip(Buffer.from("PK\x03\x04rest", "latin1"))).toBe(true);
  });

  it("is false for anything else", () => {
    for (const text of ["", "P", "PK", "PK\x03", "PK\x07\x08xxxx", "ISA*00*~", '{"a":1}', "%PDF-1.7"]) {
      expect(isZip(Buffer.from(text, "latin1")), JSON.stringify(text)).toBe(false);
    }
  });
});
