import { sha256Of } from "../invoices/files.js";
import type { PipelineStarter } from "../invoices/starter.js";
import type { ContainerSource } from "../invoices/types.js";
import type { Store } from "../store/types.js";
import { isZip, unpackZip } from "./archives.js";
import { claimHash, releaseHash, settleHash } from "./taken.js";
import type { SourceKind } from "./types.js";

/**
 * Intake: what every source does with the bytes of a file it got (fetched by a poll, attached to
 * an email): a zip is unpacked and each file in it taken on its own; any other file becomes a
 * container, unless the source took the same bytes before. The content hash is claimed before
 * the container is made, so two polls at once, or the same attachment mailed twice, never make
 * two.
 */
export interface IntakeDeps {
  store: Store;
  pipeline: Pick<PipelineStarter, "receive">;
}

export interface IntakeSource {
  tenantId: string;
  name: string;
  kind: SourceKind;
}

export type IntakeStatus =
  /** Made a container. */
  | "taken"
  /** The source took these bytes before, under this or another name: no second container. */
  | "duplicate"
  /** A zip: its files are in `unpacked`. */
  | "unpacked"
  | "error";

export interface IntakeResult {
  name: string;
  size: number;
  status: IntakeStatus;
  sha256?: string;
  containerId?: string;
  error?: string;
  /** A zip's files, each taken (or not) on its own. */
  unpacked?: IntakeResult[];
}

/** Containers name where their file came from; ftps is ftp over TLS, and a mailbox is email. */
const containerSourceOf = (kind: SourceKind): ContainerSource =>
  kind === "ftps" ? "ftp" : kind === "imap" ? "email" : kind;

/**
 * Takes one file's bytes: unpacks a zip (one level: a zip inside is taken as a file), else makes
 * a container. Failures of the pipeline are thrown (the caller keeps the file for a later try); a
 * zip's unreadable or oversized members are results with status `error`, and the rest are taken.
 */
export async function intake(
  deps: IntakeDeps,
  source: IntakeSource,
  file: { name: string; bytes: Buffer },
  limits: { maxFileBytes: number },
): Promise<IntakeResult> {
  const sha256 = sha256Of(file.bytes);
  if (!isZip(file.bytes)) return takeBytes(deps, source, file, sha256);
  const { files, errors } = await unpackZip(file.name, file.bytes, limits);
  const unpacked: IntakeResult[] = errors.map((entry) => ({
    name: entry.name,
    size: 0,
    status: "error",
    error: entry.error,
  }));
  for (const member of files) unpacked.push(await takeBytes(deps, source, member, sha256Of(member.bytes)));
  return { name: file.name, size: file.bytes.length, status: "unpacked", sha256, unpacked };
}

async function takeBytes(
  deps: IntakeDeps,
  source: IntakeSource,
  file: { name: string; bytes: Buffer },
  sha256: string,
): Promise<IntakeResult> {
  const result: IntakeResult = { name: file.name, size: file.bytes.length, status: "taken", sha256 };
  const claim = await claimHash(deps.store, source, sha256);
  let containerId: string;
  if (!claim.claimed) {
    result.status = "duplicate";
    if (claim.containerId !== undefined) result.containerId = claim.containerId;
    return result;
  }
  try {
    ({ containerId } = await deps.pipeline.receive(source.tenantId, {
      name: file.name,
      bytes: file.bytes,
      source: containerSourceOf(source.kind),
    }));
  } catch (error) {
    await releaseHash(deps.store, source, sha256);
    throw error;
  }
  result.containerId = containerId;
  await settleHash(deps.store, source, sha256, containerId);
  return result;
}

/** Containers an intake made, a zip's included. */
export const containersMade = (result: {
  status: string;
  containerId?: string;
  unpacked?: IntakeResult[];
}): string[] =>
  result.status === "taken" && result.containerId !== undefined
    ? [result.containerId]
    : (result.unpacked ?? []).flatMap(containersMade);
