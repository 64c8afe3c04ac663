/**
 * Fallback server for the HTTP benchmark when `src/cli/main.ts` (`inflow serve`) is not there:
 * the same parts `inflow serve` wires together (openStore -> createQueues -> buildServer), in a
 * process of its own. Prints `listening <port>` once it serves.
 *
 *   node --import tsx bench/queues/http-server.ts (--data DIR | --database URL) [--port N]
 */
import { parseArgs } from "node:util";
import { createQueues } from "../../src/queues/service.js";
import { buildServer } from "../../src/server/app.js";
import { openStore } from "../../src/store/open.js";

const { values } = parseArgs({
  options: { data: { type: "string" }, database: { type: "string" }, port: { type: "string", default: "0" } },
});
const store = await openStore(values.database ? { databaseUrl: values.database } : { dataDir: values.data! });
const queues = createQueues(store);
queues.startBackground();
const app = await buildServer({ queues });
await app.listen({ host: "127.0.0.1", port: Number(values.port) });
const address = app.server.address();
console.log(`listening ${typeof address === "object" && address ? address.port : values.port}`);

const stop = async () => {
  await app.close();
  await queues.close();
  await store.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
