import shipped from "./digitize.asl.json" with { type: "json" };

/** The digitize state machine's name. */
export const DIGITIZE = "digitize";

/**
 * The definition `installPipeline` deploys: `digitize.asl.json` as shipped (deployable to Step
 * Functions once its queue URLs name the account's queues), with each QueueUrl pointing at the
 * queue of the same name in this region and account, and the inner Map's MaxConcurrency set.
 * The engine finds a queue by the URL's last path segment, so the host does not matter here.
 */
export function digitizeDefinition(options: {
  region: string;
  accountId: string;
  mapConcurrency: number;
}): string {
  return JSON.stringify(
    shipped,
    (key, value: unknown) => {
      if (key === "QueueUrl" && typeof value === "string") {
        const name = value.split("/").pop();
        return `https://sqs.${options.region}.amazonaws.com/${options.accountId}/${name}`;
      }
      if (key === "MaxConcurrency") return options.mapConcurrency;
      return value;
    },
    2,
  );
}
