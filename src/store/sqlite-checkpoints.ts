import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** Commits between two checkpoint requests: about SQLite's default of 1,000 WAL pages at ~10 pages each. */
const COMMITS_PER_CHECKPOINT = 100;
/**
 * WAL frames past which a checkpoint also restarts the WAL. A PASSIVE checkpoint never blocks the
 * writer, but for that very reason, under steady writes, new frames always follow the last one it
 * copied and the WAL is never started over: it grew to gigabytes in a day's run (and every read
 * searched it). RESTART waits for the writer's transaction in progress, holds the next one off
 * while it copies what the passive ones left (little), and lets the next writer start the WAL
 * from its beginning. 10,000 frames is about 40 MB at 4 KiB pages.
 */
const RESTART_FRAMES = 10_000;

/**
 * The checkpointer runs in CommonJS inside the thread (an eval'd worker), loading better-sqlite3
 * by the path the main thread resolved, so it works the same from `dist/` and under tsx.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [{ log }] = db.pragma("wal_checkpoint(PASSIVE)");
    if (log > workerData.restartFrames) db.pragma("wal_checkpoint(RESTART)");
    parentPort.postMessage(null);
  } catch (error) {
    parentPort.postMessage(String((error && error.message) || error));
  }
});
`;

export interface Checkpoints {
  /** Tells the checkpointer a transaction committed. */
  committed(): void;
  close(): Promise<void>;
}

/**
 * WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses its threshold, on the connection's thread: with better-sqlite3 that is the event
 * loop, and those commits (copying pages, with their fsyncs) took most of the commit time under
 * load. A PASSIVE checkpoint from a second connection copies the same pages without blocking the
 * writer. If the thread fails, `onFailure` restores the automatic checkpoint.
 */
export function startCheckpoints(file: string, onFailure: (reason: string) => void): Checkpoints {
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: {
      file,
      module: createRequire(import.meta.url).resolve("better-sqlite3"),
      restartFrames: RESTART_FRAMES,
    },
  });
  worker.unref();
  let failed = false;
  let running = false;
  let commits = 0;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    onFailure(reason);
  };
  worker.on("message", (error: string | null) => {
    running = false;
    if (error !== null) fail(error);
  });
  worker.on("error", (error) => fail(error.message));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    committed() {
      if (failed || running || ++commits < COMMITS_PER_CHECKPOINT) return;
      commits = 0;
      running = true;
      worker.postMessage("checkpoint");
    },
    async close() {
      failed = true;
      // Referenced again, or a process whose last work is this close would exit before the thread.
      worker.ref();
      worker.postMessage("close");
      await exited;
    },
  };
}
