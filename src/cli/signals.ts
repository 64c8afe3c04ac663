/** Resolves with the first SIGINT or SIGTERM; a second one exits at once, skipping the graceful part. */
export function nextShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on).off("SIGTERM", on);
      const force = () => process.exit(1);
      process.once("SIGINT", force).once("SIGTERM", force);
      resolve(signal);
    };
    process.on("SIGINT", on).on("SIGTERM", on);
  });
}
