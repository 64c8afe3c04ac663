import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import type { Writable } from "node:stream";
import { type Command, InvalidArgumentError } from "commander";
import { formatDiagnostic } from "../../formats/diagnostics.js";
import { writeAcknowledgements } from "../../formats/x12/ack-997.js";
import { CliError } from "../errors.js";

interface AckCommandOptions {
  out?: string;
  controlNumber?: number;
}

export function registerAck(program: Command): void {
  program
    .command("ack")
    .description(
      "Write the acknowledgements for an inbound X12 file: a 997 (4010) or 999 (5010) per functional group, and a TA1 when the interchange asks for one or its envelope is broken.",
    )
    .argument("<file>", "the inbound X12 file")
    .option("--out <file>", "write the acknowledgements to this file instead of stdout")
    .option("--control-number <n>", "first interchange control number to use (default 1)", parseControlNumber)
    .action(async (file: string, options: AckCommandOptions) => {
      process.exitCode = await ackCommand(file, options);
    });
}

function parseControlNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0)
    throw new InvalidArgumentError("expected 1 to 999999999");
  return Number(value);
}

async function ackCommand(file: string, options: AckCommandOptions): Promise<number> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: no such file`);
  const sink: Writable = options.out ? createWriteStream(options.out) : process.stdout;
  let written = 0;
  let fatal = 0;
  const events = writeAcknowledgements(createReadStream(file), {
    ...(options.controlNumber ? { controlNumber: options.controlNumber } : {}),
  });
  for await (const event of events) {
    if (event.kind === "diagnostic") {
      if (event.diagnostic.severity === "fatal") fatal++;
      process.stderr.write(`${formatDiagnostic(event.diagnostic, file)}\n`);
      continue;
    }
    written++;
    if (!sink.write(event.text)) await once(sink, "drain");
  }
  if (options.out) {
    sink.end();
    await once(sink, "finish");
  }
  if (written === 0)
    process.stderr.write(`${file}: nothing to acknowledge (no interchange with a functional group)\n`);
  return fatal > 0 || written === 0 ? 1 : 0;
}
