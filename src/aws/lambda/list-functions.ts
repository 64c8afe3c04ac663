import type { Functions } from "../../functions/registry.js";

/** Lambda returns at most 50 functions per page, whatever MaxItems asks. */
const PAGE_SIZE = 50;
export const MAX_ITEMS_LIMIT = 10_000;
export const MAX_MARKER_LENGTH = 1024;

export interface ListFunctionsRequest {
  maxItems?: number;
  /** Where the previous page stopped: the last name it returned. */
  marker?: string;
}

/** Lambda's ListFunctions over the registry, in name order. */
export function listFunctions(functions: Functions, request: ListFunctionsRequest) {
  const size = Math.min(request.maxItems ?? PAGE_SIZE, PAGE_SIZE);
  const after = request.marker;
  const remaining = functions.list().filter((fn) => after === undefined || fn.name > after);
  const page = remaining.slice(0, size);
  const last = page.at(-1);
  return {
    Functions: page.map((fn) => ({
      FunctionName: fn.name,
      FunctionArn: fn.arn,
      // Handlers run in this Node.js process.
      Runtime: `nodejs${process.versions.node.split(".")[0]}.x`,
      Timeout: fn.timeoutSeconds,
      Version: "$LATEST",
      PackageType: "Zip",
    })),
    ...(remaining.length > size && last ? { NextMarker: last.name } : {}),
  };
}
