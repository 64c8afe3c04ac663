/**
 * A resource file that cannot be read or applied. The message starts with the file, then the
 * resource and field at fault (`queues.process-file.attributes.VisibilityTimeout`), then why.
 */
export class ResourceFileError extends Error {
  override readonly name = "ResourceFile.Invalid";
}

export const resourceFileError = (file: string, where: string, reason: string) =>
  new ResourceFileError(`${file}: ${where ? `${where}: ` : ""}${reason}`);
