#!/usr/bin/env node
import { Command } from "commander";
import { registerAck } from "./commands/ack.js";
import { registerDigitize } from "./commands/digitize.js";
import { registerExecutions } from "./commands/executions.js";
import { registerFunctions } from "./commands/functions.js";
import { registerParse } from "./commands/parse.js";
import { registerQueues } from "./commands/queues.js";
import { registerSecrets } from "./commands/secrets.js";
import { registerServe } from "./commands/serve.js";
import { registerSources } from "./commands/sources.js";
import { registerTenants } from "./commands/tenants.js";
import { registerWorker } from "./commands/worker.js";
import { exitWithError } from "./errors.js";
import { packageVersion } from "./version.js";

/** Each command lives in `commands/<name>.ts` and registers itself here. */
const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerServe,
  registerWorker,
  registerDigitize,
  registerParse,
  registerAck,
  registerQueues,
  registerExecutions,
  registerFunctions,
  registerTenants,
  registerSecrets,
  registerSources,
];

const program = new Command("inflow")
  .description("Digitizes supplier invoices through durable workflows over SQS-style queues.")
  .version(packageVersion());
for (const register of COMMANDS) register(program);

program.parseAsync().catch(exitWithError);
