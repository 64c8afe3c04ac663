import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface Spawned {
  child: ChildProcess;
  /** Every complete stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves when a line satisfies `test`. */
  waitForLine(test: (line: string) => boolean, timeoutMillis?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript file of this repository in its own Node.js process (through tsx). */
export function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  let errors = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const waiter of waiters) waiter();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      for (const waiter of waiters) waiter();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    lines,
    stderr: () => errors,
    exited,
    waitForLine(test, timeoutMillis = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(test);
          if (found !== undefined) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before the expected line; stderr:\n${errors}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for a line; stderr:\n${errors}`));
        }, timeoutMillis);
        waiters.add(check);
        check();
      });
    },
  };
}
